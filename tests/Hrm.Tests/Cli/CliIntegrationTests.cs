using System.Text.Json;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

namespace Hrm.Tests.Cli;

/// <summary>
/// Once per class: a 4x4 Sudoku dataset (200 train / 50 test), a 9x9 maze dataset (another task), and a 30-step run
/// of the tiny-test preset, all through the CLI in a temporary folder.
/// </summary>
public sealed class TinyRunFixture : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "hrm-cli-" + Guid.NewGuid().ToString("N")[..10]);
    public string Data => Path.Combine(Root, "sudoku4");
    public string MazeData => Path.Combine(Root, "maze9");
    public string Run => Path.Combine(Root, "run");
    public CliResult Train { get; }

    public TinyRunFixture()
    {
        Directory.CreateDirectory(Root);
        CliHarness.Ok("data", "sudoku", "--size", "4", "--train", "200", "--test", "50", "--out", Data, "--quiet");
        CliHarness.Ok("data", "maze", "--size", "9", "--train", "10", "--test", "10", "--out", MazeData);
        Train = CliHarness.Ok("train", "--preset", "tiny-test", "--data", Data, "--out", Run);
    }

    public string File(string name) => Path.Combine(Root, name);

    public void Dispose() { try { Directory.Delete(Root, true); } catch (IOException) { } }
}

public sealed class CliIntegrationTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    const string Puzzle4 = "1..4..2..3..4..1";

    [Fact]
    public void Train_writes_metrics_tensorboard_and_checkpoints()
    {
        Assert.Contains("done: 30 steps", run.Train.Out);
        var lines = File.ReadAllLines(Path.Combine(run.Run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "train" && l.GetProperty("step").GetInt32() == 30);
        Assert.Contains(lines, l => l.GetProperty("kind").GetString() == "eval" && l.GetProperty("step").GetInt32() == 15 && l.GetProperty("count").GetInt32() == 50);
        // Each eval record has the curve by blank count: {blanks: [count, exact, valid, token accuracy]}, adding up to the set.
        foreach (var e in lines.Where(l => l.GetProperty("kind").GetString() == "eval"))
        {
            var rows = e.GetProperty("by_blanks").EnumerateObject().Select(p => p.Value.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
            Assert.All(rows, r => Assert.Equal(4, r.Length));
            Assert.Equal(e.GetProperty("count").GetInt32(), (int)rows.Sum(r => r[0]));
            Assert.Equal(e.GetProperty("exact_accuracy").GetDouble() * e.GetProperty("count").GetInt32(), rows.Sum(r => r[1]), 6);
            Assert.All(rows, r => Assert.InRange(r[2], r[1], r[0]));
            Assert.Equal(e.GetProperty("token_accuracy").GetDouble(), rows.Sum(r => r[0] * r[3]) / rows.Sum(r => r[0]), 4);
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run.Run, "tensorboard"), "events.out.tfevents.*", SearchOption.AllDirectories));
        foreach (var step in new[] { "step_0000015", "step_0000030" })
            foreach (var f in new[] { "model.safetensors", "config.json", "optimizer.safetensors", "position.json" })
                Assert.True(File.Exists(Path.Combine(run.Run, "checkpoints", step, f)), $"{step}/{f} missing");
    }

    [Fact]
    public void Eval_writes_json_per_set()
    {
        var json = run.File("eval.json");
        var r = CliHarness.Ok("eval", "--checkpoint", run.Run, "--data", run.Data, "--json", json, "--threads", "1");
        Assert.Contains("exact", r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var all = doc.RootElement.GetProperty("all");
        Assert.Equal(50, all.GetProperty("count").GetInt32());
        foreach (var key in new[] { "exact_accuracy", "token_accuracy" })
            Assert.InRange(all.GetProperty(key).GetDouble(), 0.0, 1.0);
        Assert.Equal(2.0, all.GetProperty("mean_segments").GetDouble());   // no early exit: every puzzle runs halt_max_steps
        Assert.True(all.GetProperty("token_accuracy").GetDouble() > 0.3, "30 steps should beat chance (1/4 per blank) on tokens");
    }

    [Fact]
    public void Solve_prints_grid_segments_q_halt_and_validity_and_matches_the_library()
    {
        var json = run.File("solve.json");
        var r = CliHarness.Ok("solve", "--checkpoint", run.Run, Puzzle4, "--json", json, "--threads", "1");
        Assert.Contains("answer:", r.Out);
        Assert.Contains("segments: 2 of 2", r.Out);
        Assert.Contains("q_halt:", r.Out);
        Assert.Matches("valid: (yes|no)", r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("sudoku", doc.RootElement.GetProperty("task").GetString());
        var res = doc.RootElement.GetProperty("results")[0];
        Assert.Equal(2, res.GetProperty("q_halt").GetArrayLength());
        Assert.Equal(4, res.GetProperty("cells").GetArrayLength());

        using var solver = Solver.Load(run.Run);
        Assert.Equal("sudoku", solver.Task.Name);
        var answer = solver.SolveSudoku(Puzzle4);
        Assert.Equal(res.GetProperty("answer").GetString(), answer.Text);
        Assert.Equal(res.GetProperty("valid").GetBoolean(), answer.Valid);
        Assert.Equal(answer.QHalt[0], res.GetProperty("q_halt")[0].GetSingle(), 4);
        Assert.Equal(new Hrm.Tasks.Sudoku.SudokuTask(SudokuShape.Size4).Problem(SudokuShape.Size4.Parse(Puzzle4), answer.Cells) is null, answer.Valid);

        using var early = Solver.Load(run.Run, options: new SolverOptions { EarlyExit = true, MaxSegments = 1 });
        var one = early.SolveSudoku(Puzzle4.Replace('.', '0'));
        Assert.Equal(1, one.Segments);
        Assert.Equal(answer.QHalt[0], one.QHalt[0], 4);   // the first segment does not depend on options
    }

    [Fact]
    public void Predict_writes_every_segment()
    {
        var test = PuzzleDatasetDirectory.ReadSet(run.Data, "test", "all");
        var inputs = run.File("inputs.npy");
        Npy.WriteInt32(inputs, test.Inputs.Take(3 * 16).ToArray(), [3, 16]);
        var outDir = run.File("predict");
        CliHarness.Ok("predict", "--checkpoint", run.Run, "--inputs", inputs, "--out", outDir, "--threads", "1");
        var logits = Npy.Read(Path.Combine(outDir, "logits_2.npy"));
        Assert.Equal(new long[] { 3, 16, 6 }, logits.Shape);
        Assert.Equal(new long[] { 3 }, Npy.Read(Path.Combine(outDir, "q_halt_1.npy")).Shape);
    }

    [Fact]
    public void Bad_input_gives_one_clear_line()
    {
        var missing = run.File("no-such-dir");
        CliHarness.Fails("unknown preset 'no-such-preset'", "train", "--preset", "no-such-preset", "--data", run.Data, "--out", run.File("r1"));
        CliHarness.Fails("no-such-dir", "train", "--preset", "tiny-test", "--data", missing, "--out", run.File("r2"));
        CliHarness.Fails("no_such_key", "train", "--preset", "tiny-test", "--set", "arch.no_such_key=1", "--data", run.Data, "--out", run.File("r3"));
        CliHarness.Fails("data directory not found", "eval", "--checkpoint", run.Run, "--data", missing);
        CliHarness.Fails("another task", "eval", "--checkpoint", run.Run, "--data", run.MazeData, "--threads", "1");
        CliHarness.Fails("checkpoint not found", "solve", "--checkpoint", missing, Puzzle4);

        // A corrupt checkpoint: random bytes, then a truncated safetensors file, each with the real config beside it.
        var latest = Path.Combine(run.Run, "checkpoints", "step_0000030");
        var bytes = File.ReadAllBytes(Path.Combine(latest, "model.safetensors"));
        foreach (var (name, content) in new[] { ("random", RandomBytes(4096)), ("truncated", bytes[..(bytes.Length / 2)]) })
        {
            var dir = run.File("corrupt-" + name);
            Directory.CreateDirectory(dir);
            File.Copy(Path.Combine(latest, "config.json"), Path.Combine(dir, "config.json"), true);
            File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), content);
            CliHarness.Fails("model.safetensors", "solve", "--checkpoint", dir, Puzzle4);
            CliHarness.Fails("model.safetensors", "eval", "--checkpoint", dir, "--data", run.Data);
        }

        CliHarness.Fails("17 cells", "solve", "--checkpoint", run.Run, Puzzle4 + "1");
        CliHarness.Fails("'x'", "solve", "--checkpoint", run.Run, "1..4..2..3..4..x");
        CliHarness.Fails("appears twice", "solve", "--checkpoint", run.Run, "11.4..2..3..4..1");
        CliHarness.Fails("expects a 4x4 Sudoku", "solve", "--checkpoint", run.Run, new string('.', 81));
        CliHarness.Fails("exactly one puzzle", "solve", "--checkpoint", run.Run);
        var maze = run.File("maze.txt");
        File.WriteAllLines(maze, ["#####", "#S  #", "# # #", "#  G#", "#####"]);
        CliHarness.Fails("cannot solve a 5x5 maze", "solve", "--checkpoint", run.Run, "--maze", maze);
    }

    [Fact]
    public void Help_lists_solve_with_examples()
    {
        var r = CliHarness.Ok("solve", "--help");
        Assert.Contains("--early-exit", r.Out);
        Assert.Contains("hrm solve --checkpoint", r.Out);
        Assert.Contains("solve", CliHarness.Ok("--help").Out);
    }

    static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        new Random(1).NextBytes(b);
        return b;
    }
}
