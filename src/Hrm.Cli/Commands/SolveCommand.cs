using System.CommandLine;
using System.Globalization;
using Hrm.Runtime;
using Hrm.Evaluation;
using Hrm.Tasks;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

namespace Hrm.Cli.Commands;

/// <summary>`hrm solve`: one puzzle through a trained checkpoint (a thin shell over <see cref="Solver"/>).</summary>
public static class SolveCommand
{
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = Common.CheckpointHelp, Required = true };
        var config = new Option<string?>("--config") { Description = "Model config JSON, if not beside the weights." };
        var sudoku = new Argument<string?>("puzzle") { Description = "A puzzle as text in the model's task's form: a Sudoku as one string of 81, 36 or 16 characters (digits, '.' or '0' for blanks), or a registered task's own form.", Arity = ArgumentArity.ZeroOrOne };
        var maze = new Option<string?>("--maze") { Description = "A maze text file: N lines of N characters '#' wall, ' ' open, 'S' start, 'G' goal." };
        var arc = new Option<string?>("--arc") { Description = "An ARC task JSON file; every test input is solved and compared with its output." };
        var identifiers = new Option<string?>("--identifiers") { Description = "ARC: the dataset folder (or its identifiers.json) the checkpoint was trained on, to use the task's puzzle embedding; default: the blank identifier 0." };
        var data = new Option<string?>("--data") { Description = "For a checkpoint of the authors' code (step_N with all_config.yaml): the dataset it was trained on (default: --identifiers for ARC, else the data path in all_config.yaml)." };
        var halt = Common.HaltOptions.Create();
        var search = Common.SearchOptionSet.Create();
        var tta = new Option<int>("--tta") { Description = "Test-time views: run each of K views of the puzzle (relabelled/transposed Sudoku, rotated maze), times --samples, and pick one answer by --select.", DefaultValueFactory = _ => 0 };
        var maxSegments = new Option<int?>("--max-segments") { Description = "Segments to run at most (default: the model's halt_max_steps)." };
        var json = new Option<string?>("--json") { Description = "Also write the result(s) as JSON to this file." };
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();
        var cmd = new Command("solve", """
            Solve one puzzle with a trained checkpoint: prints the answer grid, the segments used, q_halt per segment and
            whether the answer satisfies the puzzle (Sudoku: a valid grid keeping the givens; maze: a shortest S-G path
            marked 'o'; ARC: equals the task's test output).
            Examples:
              hrm solve --checkpoint runs/sudoku4 "1..4..2..3..4..1"
              hrm solve --checkpoint runs/sudoku9/checkpoints/step_0020000 --early-exit 53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79
              hrm solve --checkpoint runs/maze9 --maze my-maze.txt --json answer.json
              hrm solve --checkpoint runs/arc --arc data/arc/evaluation/00576224.json --identifiers data/arc-aug
            """) { sudoku, checkpoint, config, maze, arc, identifiers, data, halt.EarlyExit, halt.Rule, halt.Threshold, maxSegments, json, threads, device };
        foreach (var o in search.All) cmd.Options.Add(o);
        cmd.Options.Add(tta);
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(tta) < 0) throw new HrmException("--tta must be >= 0");
            var (s, m, a) = (parse.GetValue(sudoku), parse.GetValue(maze), parse.GetValue(arc));
            int given = (s is null ? 0 : 1) + (m is null ? 0 : 1) + (a is null ? 0 : 1);
            if (given != 1) throw new HrmException("give exactly one puzzle: PUZZLE text (a Sudoku string), --maze FILE or --arc TASK.json");
            if (parse.GetValue(identifiers) is not null && a is null) throw new HrmException("--identifiers goes with --arc");
            if (m is not null && !File.Exists(m)) throw new HrmException($"{m}: maze file not found");
            if (a is not null && !File.Exists(a)) throw new HrmException($"{a}: ARC task file not found");
            Common.SetThreads(parse.GetValue(threads));
            var dev = TorchRuntime.ParseDevice(parse.GetValue(device)!);
            var ckpt = parse.GetValue(checkpoint)!;
            // An ARC dataset folder given as --identifiers is also the dataset an all_config.yaml checkpoint needs.
            var ids = parse.GetValue(identifiers);
            using var solver = Solver.Load(ckpt, parse.GetValue(config), dev,
                new SolverOptions { Halt = halt.Asked(parse), MaxSegments = parse.GetValue(maxSegments), Search = SearchOf(search, parse, parse.GetValue(tta)) ?? SearchOptions.ReadDefaults(ckpt) },
                parse.GetValue(data) ?? (ids is not null && Directory.Exists(ids) ? ids : null));

            var results = new List<(string Label, PuzzleAnswer Result)>();
            var sized = solver;   // a maze of another size runs on the same weights built for its size
            // Maze and ARC puzzles come by --maze and --arc: PUZZLE text for those models is a Sudoku, refused with its size.
            if (s is not null) results.Add(("", solver.Task is MazeTask or ArcPuzzleTask ? solver.SolveSudoku(s) : solver.Solve(s)));
            else if (m is not null)
            {
                var lines = File.ReadAllLines(m);
                sized = solver.For(string.Join('\n', lines));
                results.Add(("", sized.SolveMaze(lines)));
            }
            else
                foreach (var task in ArcReader.Read(a!))
                {
                    var answers = solver.SolveArc(task, parse.GetValue(identifiers));
                    for (int i = 0; i < answers.Count; i++) results.Add(($"{task.Name} test {i + 1}", answers[i]));
                }

            Console.WriteLine($"checkpoint: {ckpt} ({solver.Describe()}{(ReferenceEquals(sized, solver) ? "" : $"; run as {sized.Describe()}, the same weights")})");
            foreach (var (label, r) in results) Print(label, r, sized);
            if (parse.GetValue(json) is string path) PuzzleAnswer.WriteJson(path, PuzzleAnswer.Document(ckpt, sized, results));
            return 0;
        });
        return cmd;
    }

    internal static void Print(string label, PuzzleAnswer r, Solver solver)
    {
        Console.WriteLine();
        if (label.Length > 0) Console.WriteLine($"== {label}");
        Console.WriteLine("puzzle:");
        Console.WriteLine(Grid(r.Task, r.Puzzle));
        Console.WriteLine("answer:");
        Console.WriteLine(r.Rows == 0 ? "  (no grid)" : Grid(r.Task, r.Text));
        int max = solver.Options.MaxSegments ?? solver.Config.HaltMaxSteps;
        Console.WriteLine($"segments: {r.Segments} of {max}{(solver.Options.EarlyExit ? $" ({solver.Options.Halt})" : "")}");
        Console.WriteLine($"q_halt:     {string.Join(" ", r.QHalt.Select(F))}");
        Console.WriteLine($"q_continue: {string.Join(" ", r.QContinue.Select(F))}");
        Console.WriteLine(r.Valid ? $"valid: yes ({r.Task.RuleText})" : $"valid: no ({r.Problem ?? "no expected output to compare with"})");
        if (r.Search is { } s)
        {
            var c = s.Candidates[s.Chosen];
            int agree = s.Candidates.Count(x => x.SameAsChosen && !x.Cut);
            Console.WriteLine($"search: {s.Candidates.Count} candidates ({s.Options}); chose view {c.View} sample {c.Sample} " +
                $"(q_halt {F(c.QHalt)}, sigmoid {1 / (1 + Math.Exp(-c.QHalt)):0.000}); {agree} of {s.Candidates.Count(x => !x.Cut)} finished candidates give this answer" +
                (s.Candidates.Any(x => x.Cut) ? $"; {s.Candidates.Count(x => x.Cut)} cut once the choice was made" : "") +
                $"; {s.Candidates.Sum(x => x.Segments)} segments in all");
        }
    }

    /// <summary>The search of --samples/--select/--tta, or null for the plain run.</summary>
    internal static SearchOptions? SearchOf(Common.SearchOptionSet search, ParseResult parse, int tta)
    {
        var options = search.Parse(parse, Math.Max(tta, 1));
        if (options is null && tta > 1) options = new SearchOptions { Views = tta }.Validate();
        return options;
    }

    static string F(float x) => x.ToString("+0.000;-0.000", CultureInfo.InvariantCulture);

    /// <summary>Sudoku rows get spaces between cells and box separators; maze and ARC grids print as they are.</summary>
    static string Grid(PuzzleTask task, string text)
    {
        var lines = text.Split('\n');
        if (task is not SudokuTask sudoku) return string.Join('\n', lines.Select(l => "  " + l));
        var shape = sudoku.Shape;
        if (lines.Length == 1) lines = Enumerable.Range(0, shape.N).Select(r => text.Substring(r * shape.N, shape.N)).ToArray();
        var output = new List<string>();
        for (int r = 0; r < lines.Length; r++)
        {
            if (r > 0 && r % shape.BoxRows == 0)
                output.Add("  " + string.Join("-+-", Enumerable.Repeat(new string('-', 2 * shape.BoxCols - 1), shape.N / shape.BoxCols)));
            var boxes = Enumerable.Range(0, shape.N / shape.BoxCols)
                .Select(b => string.Join(' ', lines[r].Substring(b * shape.BoxCols, shape.BoxCols).ToCharArray()));
            output.Add("  " + string.Join(" | ", boxes));
        }
        return string.Join('\n', output);
    }
}
