using System.CommandLine;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;

namespace Hrm.Cli.Commands;

/// <summary>One puzzle for trace and viz: PUZZLE text, --maze FILE, --arc TASK.json [--test-index], or --data DIR --index I.</summary>
public sealed record PuzzleSourceOptions(Argument<string?> Puzzle, Option<string?> Maze, Option<string?> Arc, Option<int> TestIndex,
    Option<string?> Data, Option<int?> Index)
{
    /// <summary>The options; <paramref name="data"/> reuses a command's own --data option (viz's dataset browser).</summary>
    public static PuzzleSourceOptions Create(Option<string?>? data = null) => new(
        new Argument<string?>("puzzle") { Description = "A puzzle as text in the model's task's form (a Sudoku string of 16, 36 or 81 characters).", Arity = ArgumentArity.ZeroOrOne },
        new Option<string?>("--maze") { Description = "A maze text file: N lines of N characters '#' wall, ' ' open, 'S' start, 'G' goal." },
        new Option<string?>("--arc") { Description = "An ARC task JSON file (its test input --test-index, compared with its output)." },
        new Option<int>("--test-index") { Description = "ARC: which test input of the task (from 0).", DefaultValueFactory = _ => 0 },
        data ?? new Option<string?>("--data") { Description = "A dataset directory: take the test split's example --index (with its label as the expected answer)." },
        new Option<int?>("--index") { Description = "With --data: the test example (from 0)." });

    public IEnumerable<Symbol> Symbols => [Puzzle, Maze, Arc, TestIndex, Data, Index];
    /// <summary>The symbols without --data (for a command that already has it).</summary>
    public IEnumerable<Symbol> SymbolsBesideData => [Puzzle, Maze, Arc, TestIndex, Index];

    /// <summary>The input tokens, puzzle identifier, expected answer text (when known), a label, and the solver to run
    /// them with: <paramref name="solver"/>, or for a maze of another size its <see cref="Solver.ForSeqLen"/>.</summary>
    public (int[] Input, int PuzzleId, string? Expected, string Label, Solver Solver) Resolve(ParseResult parse, Solver solver)
    {
        var (p, m, a, d) = (parse.GetValue(Puzzle), parse.GetValue(Maze), parse.GetValue(Arc), parse.GetValue(Data));
        int given = (p is null ? 0 : 1) + (m is null ? 0 : 1) + (a is null ? 0 : 1) + (d is null ? 0 : 1);
        if (given != 1) throw new HrmException("give exactly one puzzle: PUZZLE text, --maze FILE, --arc TASK.json or --data DIR --index I");
        if ((parse.GetValue(Index) is not null) != (d is not null)) throw new HrmException("--data and --index go together");
        var task = solver.Task;
        if (p is not null) { solver = solver.For(p); return (solver.Task.Parse(p), 0, null, "puzzle", solver); }
        if (m is not null)
        {
            if (!File.Exists(m)) throw new HrmException($"{m}: maze file not found");
            if (task is not MazeTask) throw new HrmException($"--maze needs a maze model; this one expects {solver.Describe()}");
            var text = File.ReadAllText(m);
            solver = solver.For(text);
            return (solver.Task.Parse(text), 0, null, Path.GetFileName(m), solver);
        }
        if (a is not null)
        {
            if (!File.Exists(a)) throw new HrmException($"{a}: ARC task file not found");
            if (task is not ArcPuzzleTask) throw new HrmException($"--arc needs an ARC model; this one expects {solver.Describe()}");
            var arcTask = ArcReader.Read(a)[0];
            int ti = parse.GetValue(TestIndex);
            if (ti < 0 || ti >= arcTask.Test.Count) throw new HrmException($"{a}: task {arcTask.Name} has {arcTask.Test.Count} test input(s); --test-index {ti} is out of range");
            var pair = arcTask.Test[ti];
            return (ArcCanvas.Encode(pair.Input), 0, pair.Output.ToString(), $"{arcTask.Name} test {ti + 1}", solver);
        }
        var set = PuzzleSet.ReadAll(d!, "test")[0];
        int i = parse.GetValue(Index)!.Value;
        if (i < 0 || i >= set.Data.ExampleCount) throw new HrmException($"{d}: --index {i} is out of range (the test split has {set.Data.ExampleCount} examples)");
        if (set.Metadata.SeqLen != solver.Config.SeqLen && set.Metadata.VocabSize == solver.Config.VocabSize && task.RunsOtherSizes)
        {
            try { solver = solver.ForSeqLen(set.Metadata.SeqLen); }
            catch (HrmException e) { throw e.At(d!); }
            task = solver.Task;
        }
        Evaluator.CheckFits(solver.Config, set, d!);
        var example = ExamplePuzzles.FromSet(set, i, task, "");
        return (example.Input, example.PuzzleId, example.Expected, $"{Path.GetFileName(Path.GetFullPath(d!).TrimEnd('/'))} test example {i}", solver);
    }
}
