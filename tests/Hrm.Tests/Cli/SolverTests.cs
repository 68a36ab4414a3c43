using System.Text.Json;
using Hrm.Evaluation;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Tasks;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

namespace Hrm.Tests.Cli;

/// <summary>
/// The solver's task detection, input checks and rule checks, on untrained models saved like checkpoints (their answers
/// are noise; the rule checks are tested on real solutions).
/// </summary>
public sealed class SolverTests : IDisposable
{
    readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>A randomly initialised tiny model saved as model.safetensors + config.json in a folder.</summary>
    string SaveModel(string name, int seqLen, int vocab)
    {
        var cfg = new HrmConfig
        {
            SeqLen = seqLen, VocabSize = vocab, HiddenSize = 32, NumHeads = 2, HLayers = 1, LLayers = 1, HCycles = 1, LCycles = 1,
            HaltMaxSteps = 2, PuzzleEmbNdim = 0, ForwardDtype = "float32", BatchSize = 1,
        }.Validate();
        var dir = _tmp.File(name);
        Directory.CreateDirectory(dir);
        using var model = new ActModel(cfg);
        StateDictIO.Save(Path.Combine(dir, "model.safetensors"), ReferenceNames.Export(model));
        ConfigJson.Save(Path.Combine(dir, "config.json"), cfg);
        return dir;
    }

    [Theory]
    [InlineData(16, 6, "sudoku")]
    [InlineData(36, 8, "sudoku")]
    [InlineData(81, 11, "sudoku")]
    [InlineData(81, 6, "maze")]
    [InlineData(900, 6, "maze")]
    [InlineData(900, 12, "arc")]
    [InlineData(81, 12, null)]
    [InlineData(40, 6, null)]
    public void Task_of_an_unrecorded_checkpoint_follows_from_seq_len_and_vocab(int seqLen, int vocab, string? expected)
    {
        Assert.Equal(expected, PuzzleTask.Infer(seqLen, vocab)?.Name);
        Assert.Equal(expected, Solver.TaskOf(new HrmConfig { SeqLen = seqLen, VocabSize = vocab })?.Name);
        // A solver needs a task: a shape that fits none is refused with every kind's shape rule.
        if (expected is not null) return;
        using var model = new ActModel(new HrmConfig
        {
            SeqLen = seqLen, VocabSize = vocab, HiddenSize = 16, NumHeads = 2, HLayers = 1, LLayers = 1, HCycles = 1, LCycles = 1, PuzzleEmbNdim = 0,
            ForwardDtype = "float32", BatchSize = 1,
        });
        Assert.Contains("fits no known task", Assert.Throws<HrmException>(() => new Solver(model)).Message);
    }

    [Fact]
    public void Sudoku_rule_check_accepts_the_solution_and_names_each_fault()
    {
        var shape = SudokuShape.Size9;
        var puzzle = shape.Parse("53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79");
        var solution = new SudokuSolver(shape).SolveUnique(puzzle)!;
        Assert.Null(new SudokuTask(shape).Problem(puzzle, solution));
        var blank = (int[])solution.Clone(); blank[3] = 0;
        Assert.Equal("1 cell(s) left blank", new SudokuTask(shape).Problem(puzzle, blank));
        var swapped = (int[])solution.Clone(); (swapped[0], swapped[1]) = (swapped[1], swapped[0]);   // rows still fine, columns not
        Assert.Equal("a row, column or box repeats a digit", new SudokuTask(shape).Problem(puzzle, swapped));
        // A valid grid that is not this puzzle's: relabel digits 1 <-> 2.
        var relabelled = solution.Select(d => d == 1 ? 2 : d == 2 ? 1 : d).ToArray();
        Assert.Equal("changes a given digit", new SudokuTask(shape).Problem(puzzle, relabelled));
    }

    [Fact]
    public void Maze_solve_runs_checks_and_reports_through_the_cli()
    {
        var dir = SaveModel("maze9", 81, MazeEncoding.VocabSize);
        var maze = new MazeGenerator(new MazeGeneratorOptions(9)).Next(new Random(3));
        Assert.Null(MazeSolver.Verify(maze.Input, maze.Label, 9));   // the check the solver applies accepts the true path

        var lines = MazeEncoding.ToText(maze.Input, 9).Split('\n');
        using (var solver = Solver.Load(dir))
        {
            Assert.Equal("maze", solver.Task.Name);
            var r = solver.SolveMaze(lines);
            Assert.Equal((9, 9, 2), (r.Rows, r.Cols, r.Segments));
            Assert.Equal(9, r.Text.Split('\n').Length);
            Assert.Equal(MazeSolver.Verify(maze.Input, r.Cells, 9) is null, r.Valid);
            Assert.Equal(r.Valid, r.Problem is null);
            Assert.Throws<HrmException>(() => solver.SolveSudoku("1..4..2..3..4..1"));
            var e = Assert.Throws<HrmException>(() => solver.SolveMaze(lines.Take(8).Select(l => l[..8]).ToArray()));
            // A model with size-bound weights (learned positions) runs only on its own grid size, and says which weight.
            Assert.Contains("trained on seq_len 81 (9x9)", e.Message);
            Assert.Contains("cannot run on seq_len 64 (8x8)", e.Message);
        }

        var file = _tmp.File("maze.txt");
        File.WriteAllLines(file, lines);
        var json = _tmp.File("maze.json");
        var cli = CliHarness.Ok("solve", "--checkpoint", dir, "--maze", file, "--json", json, "--threads", "1");
        Assert.Contains("segments: 2 of 2", cli.Out);
        Assert.Matches("valid: (yes|no)", cli.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("maze", doc.RootElement.GetProperty("task").GetString());

        File.WriteAllLines(file, lines.Select(l => l.Replace('G', ' ')));
        CliHarness.Fails("exactly one 'S' and one 'G'", "solve", "--checkpoint", dir, "--maze", file);
        File.WriteAllLines(file, lines.Select((l, i) => i == 4 ? l[..8] : l));
        CliHarness.Fails("line 5 has 8 characters", "solve", "--checkpoint", dir, "--maze", file);
        File.WriteAllLines(file, lines.Select(l => l.Replace(' ', 'x')));
        CliHarness.Fails("'x'", "solve", "--checkpoint", dir, "--maze", file);
    }

    [Fact]
    public void Arc_solve_crops_each_test_output_and_compares()
    {
        var dir = SaveModel("arc", 900, 12);
        var task = _tmp.File("t1.json");
        File.WriteAllText(task, """
            {"train": [{"input": [[1, 2], [3, 4]], "output": [[4, 3], [2, 1]]}],
             "test": [{"input": [[1, 0], [0, 1]], "output": [[0, 1], [1, 0]]}, {"input": [[5]], "output": [[5]]}]}
            """);
        using (var solver = Solver.Load(dir))
        {
            var results = solver.SolveArc(Hrm.Tasks.Arc.ArcReader.Read(task)[0]);
            Assert.Equal(2, results.Count);
            Assert.All(results, r => Assert.Equal(r.Rows * r.Cols, r.Cells.Length));
            Assert.All(results, r => Assert.Equal(r.Valid, r.Problem is null));
        }
        var cli = CliHarness.Ok("solve", "--checkpoint", dir, "--arc", task, "--threads", "1");
        Assert.Contains("== t1 test 1", cli.Out);
        Assert.Contains("== t1 test 2", cli.Out);

        var ds = _tmp.File("arc-data");
        Directory.CreateDirectory(ds);
        File.WriteAllText(Path.Combine(ds, "identifiers.json"), """["<blank>", "other"]""");
        CliHarness.Fails("no identifier for task t1", "solve", "--checkpoint", dir, "--arc", task, "--identifiers", ds);
        CliHarness.Fails("cannot solve a 4x4 Sudoku", "solve", "--checkpoint", dir, "1..4..2..3..4..1");
    }

    [Fact]
    public void A_checkpoint_of_no_known_task_is_refused()
    {
        var dir = SaveModel("odd", 40, 7);
        CliHarness.Fails("seq_len 40, vocab 7", "solve", "--checkpoint", dir, "1..4..2..3..4..1");
    }

    [Fact]
    public void The_model_s_inference_halt_is_the_default_of_solve_and_eval_and_an_asked_rule_wins()
    {
        var cfg = new HrmConfig
        {
            SeqLen = 16, VocabSize = 6, HiddenSize = 16, NumHeads = 2, HLayers = 1, LLayers = 1, HCycles = 1, LCycles = 1,
            HaltMaxSteps = 6, PuzzleEmbNdim = 0, ForwardDtype = "float32", BatchSize = 1, InferenceHalt = "stable",
        }.Validate();
        // (a solver owns its model and disposes it)
        using (var solver = new Solver(new ActModel(cfg)))
            Assert.Equal(HaltRule.Stable, solver.Options.Halt!.Rule);
        using (var solver = new Solver(new ActModel(cfg), new SolverOptions { Halt = HaltPolicy.Full }))
            Assert.Equal(HaltRule.Full, solver.Options.Halt!.Rule);
        // Without the key a model evaluates as the reference does: every segment.
        Assert.Equal(HaltRule.Full, HaltPolicy.For(cfg with { InferenceHalt = "full" }).Rule);
        Assert.Equal(HaltRule.Full, HaltPolicy.For(new HrmConfig()).Rule);
        // It is saved with the model and read back; a bad value names the key and the values allowed.
        var dir = _tmp.File("stable-model");
        Directory.CreateDirectory(dir);
        ConfigJson.Save(Path.Combine(dir, "config.json"), cfg);
        Assert.Equal("stable", ConfigJson.Load(Path.Combine(dir, "config.json")).InferenceHalt);
        var e = Assert.Throws<HrmException>(() => (cfg with { InferenceHalt = "sometimes" }).Validate());
        Assert.Contains("inference_halt must be full, q, confident, stable, not 'sometimes'", e.Message);
    }
}
