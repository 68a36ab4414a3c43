using System.Text.Json;
using Hrm.Data;
using Hrm.Interop;
using Hrm.Tasks.Sudoku;
using Hrm.Tests.Cli;
using Hrm.Training;
using static TorchSharp.torch;

namespace Hrm.Tests.Reliability;

/// <summary>
/// A full disk, injected at the one write seam (<see cref="AtomicFile"/>: every file the library and the CLI write is
/// opened there; <see cref="WriteSeamTests"/> keeps it so). Inside <c>FaultInjection.DiskFull(n)</c> the files opened
/// for writing share n free bytes; the write that passes them writes what fits and throws IOException("No space left
/// on device"), as the kernel's ENOSPC does. Each writer must leave the previous files intact, leave no temporary file
/// or folder behind, and fail with one line naming the file and the reason; a training run must resume once there is
/// room again, to exactly the weights of a run that never failed.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    readonly TempDirectory _tmp = new();
    public void Dispose() => _tmp.Dispose();

    const string NoSpace = "No space left on device";

    static void AssertNoTemporaries(string dir)
    {
        var left = Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories)
            .Where(p => Path.GetFileName(p).Contains(".tmp", StringComparison.Ordinal) || Path.GetFileName(p).Contains(".old-", StringComparison.Ordinal)).ToList();
        Assert.True(left.Count == 0, "temporaries left behind: " + string.Join(", ", left));
    }

    static void AssertOneLine(string message)
    {
        Assert.DoesNotContain('\n', message);
        Assert.Contains(NoSpace, message);
        Assert.DoesNotContain(".tmp", message);   // the file where it was meant to be, never a temporary name
    }

    [Fact]
    public void A_whole_file_write_that_fails_part_way_leaves_the_previous_file()
    {
        var path = _tmp.File("out.json");
        AtomicFile.WriteAllText(path, "previous");
        WriteFailedException e;
        using (FaultInjection.DiskFull(1000))
            e = Assert.Throws<WriteFailedException>(() => AtomicFile.WriteAllBytes(path, new byte[5000]));
        AssertOneLine(e.Message);
        Assert.Equal($"{path}: cannot write: {NoSpace}", e.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        AssertNoTemporaries(_tmp.Path);
        AtomicFile.WriteAllBytes(path, new byte[5000]);   // room again
        Assert.Equal(5000, new FileInfo(path).Length);
    }

    [Fact]
    public void An_append_that_fails_part_way_is_cut_off_and_the_earlier_lines_stay_whole()
    {
        var path = _tmp.File("metrics.jsonl");
        using (var log = AtomicFile.OpenAppend(path, append: false, lines: true))
        {
            log.AppendLine("{\"step\":1}");
            using (FaultInjection.DiskFull(10))
            {
                var e = Assert.Throws<WriteFailedException>(() => log.AppendLine("{\"step\":2,\"padding\":\"" + new string('x', 100) + "\"}", "step 2's metrics"));
                AssertOneLine(e.Message);
                Assert.StartsWith($"{path}: cannot write: {NoSpace} while appending step 2's metrics; the earlier records are intact", e.Message);
            }
            Assert.Equal("{\"step\":1}\n", File.ReadAllText(path));
        }
        // A resumed log appends after the whole lines; a line a killed process left unfinished is cut off first.
        File.AppendAllText(path, "{\"step\":2,\"cut by a ki");
        using (var log = AtomicFile.OpenAppend(path, append: true, lines: true)) log.AppendLine("{\"step\":3}");
        Assert.Equal(["{\"step\":1}", "{\"step\":3}"], File.ReadAllLines(path));
    }

    static (PuzzleSplit Train, PuzzleSplit Test) Sudoku(int seed, int train, int test)
    {
        var seen = new HashSet<string>();
        var shape = SudokuShape.Size4;
        return (SudokuDataset.BuildSplit(shape, SudokuGenerator.Generate(shape, train, new SudokuGeneratorOptions(), seed, seen), 0, new Random(seed)),
                SudokuDataset.BuildSplit(shape, SudokuGenerator.Generate(shape, test, new SudokuGeneratorOptions(), seed + 1, seen), 0, new Random(seed)));
    }

    static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    [Fact]
    public void A_dataset_write_that_fails_part_way_leaves_the_previous_dataset()
    {
        var dir = _tmp.File("data");
        var (train, test) = Sudoku(1, 40, 10);
        PuzzleDatasetDirectory.Write(dir, train, test, ["<blank>"], 11, task: "sudoku");
        var before = Snapshot(dir);
        var (train2, test2) = Sudoku(5, 400, 100);
        using (FaultInjection.DiskFull(3000))
        {
            var e = Assert.Throws<WriteFailedException>(() => PuzzleDatasetDirectory.Write(dir, train2, test2, ["<blank>"], 11, task: "sudoku"));
            AssertOneLine(e.Message);
            // What and where: the file inside the dataset folder, and that the dataset there is unchanged.
            Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(dir)}/train/all__\w+\.npy: cannot write: {NoSpace} \(the dataset {System.Text.RegularExpressions.Regex.Escape(dir)} is unchanged\)$", e.Message);
        }
        var after = Snapshot(dir);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
        AssertNoTemporaries(_tmp.Path);

        // Through the CLI: exit code 1, one error line (after the progress lines), no stack trace, the dataset unchanged.
        CliResult r;
        using (FaultInjection.DiskFull(3000)) r = CliHarness.Run("data", "sudoku", "--size", "4", "--train", "300", "--test", "50", "--out", dir);
        Assert.Equal(1, r.ExitCode);
        var errors = r.Error.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Equal([$"error: {dir}/train/all__inputs.npy: cannot write: {NoSpace} (the dataset {dir} is unchanged)"], errors);
        Assert.Equal(errors[0], r.Error.TrimEnd().Split('\n')[^1]);
        Assert.DoesNotContain("   at ", r.Error + r.Out);
        Assert.Equal(before.Keys.Order(), Snapshot(dir).Keys.Order());
        AssertNoTemporaries(_tmp.Path);
    }

    [Theory]
    [InlineData("weights.safetensors")]
    [InlineData("weights.pt")]
    public void A_weights_file_that_cannot_be_written_leaves_the_previous_one(string name)
    {
        var path = _tmp.File(name);
        var small = new Dictionary<string, Tensor> { ["a"] = ones(4, 4) };
        StateDictIO.Save(path, small);
        var before = File.ReadAllBytes(path);
        var big = new Dictionary<string, Tensor> { ["a"] = randn(256, 256), ["b"] = arange(1000) };
        using (FaultInjection.DiskFull(20_000))
            AssertOneLine(Assert.Throws<WriteFailedException>(() => StateDictIO.Save(path, big)).Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        AssertNoTemporaries(_tmp.Path);
        StateDictIO.Save(path, big);
        var back = StateDictIO.Load(path);
        Assert.True(back["a"].eq(big["a"]).all().item<bool>() && back["b"].eq(big["b"]).all().item<bool>());
    }

    // ---- training: checkpoints, metrics.jsonl, TensorBoard ----

    static readonly string[] Sets =
        ["max_steps=6", "checkpoint_every_steps=2", "eval_every_steps=null", "log_every_steps=1", "threads=1", "global_batch_size=16", "eval_max_examples=16"];

    string Data()
    {
        var data = Path.Combine(_tmp.Path, "data");
        if (Directory.Exists(data)) return data;
        var seen = new HashSet<string>();
        SudokuDataset.Write(data, SudokuShape.Size4, SudokuGenerator.Generate(SudokuShape.Size4, 60, new SudokuGeneratorOptions(), 1, seen),
            SudokuGenerator.Generate(SudokuShape.Size4, 10, new SudokuGeneratorOptions(), 2, seen), numAug: 1, seed: 1);
        return data;
    }

    string[] Train(string run) => ["train", "--preset", "tiny-test", "--data", Data(), "--out", run, .. Sets.SelectMany(s => new[] { "--set", s })];

    static void AssertCheckpointLoads(string dir)
    {
        using (var model = ModelStore.Load(dir)) Assert.NotNull(model);
        Assert.NotEmpty(StateDictIO.Load(new CheckpointFolder(dir).OptimizerPath));
        JsonDocument.Parse(File.ReadAllText(new CheckpointFolder(dir).PositionPath)).Dispose();
    }

    /// <summary>
    /// The run writes checkpoints at steps 2, 4 and 6 and logs every step. The disk fills up half-way through the
    /// <paramref name="occurrence"/>-th write to a file whose path holds <paramref name="file"/>, after checkpoint 2 is
    /// complete: a file of checkpoint 4, step 3's line of metrics.jsonl, or a record of step 3 in the TensorBoard file.
    /// The run stops with one line naming the file and the reason, checkpoint 2 is intact and loadable, nothing
    /// half-written is left, metrics.jsonl holds whole lines only, and `hrm train --resume` (room again) finishes with
    /// exactly the weights of a run that never failed.
    /// </summary>
    [Theory]
    [InlineData("step_0000004.tmp/.model.safetensors", 3, "step 4: writing the checkpoint failed: ")]
    [InlineData("step_0000004.tmp/.optimizer.safetensors", 3, "step 4: writing the checkpoint failed: ")]
    [InlineData("step_0000004.tmp/.position.json", 1, "step 4: writing the checkpoint failed: ")]
    [InlineData("metrics.jsonl", 3, "metrics.jsonl: cannot write: No space left on device while appending step 3's training metrics; the earlier records are intact")]
    [InlineData("events.out.tfevents.", 21, "No space left on device while appending step 3's train/q_halt_loss; the earlier records are intact")]
    public void A_full_disk_during_training_stops_with_one_line_and_resume_continues_exactly(string file, int occurrence, string expected)
    {
        var full = Path.Combine(_tmp.Path, "full");
        CliHarness.Ok(Train(full));

        var run = Path.Combine(_tmp.Path, "run");
        CliResult failed;
        using (var disk = FaultInjection.DiskFullAt(p => p.Contains(file, StringComparison.Ordinal), occurrence))
        {
            failed = CliHarness.Fails(NoSpace, Train(run));
            Assert.Contains(disk.Writes, w => w.Path.Contains(file, StringComparison.Ordinal) && w.Bytes > 0);   // a partial write happened
        }
        var line = failed.Error.Trim();
        Assert.Contains(expected, line);
        Assert.Contains(run, line);                                                   // where: a path inside the run folder
        Assert.Contains(file.Split('/')[^1].TrimStart('.'), line);                    // what: the file that could not be written
        Assert.DoesNotContain(".tmp", line);
        if (file.StartsWith("step_", StringComparison.Ordinal))
            Assert.EndsWith($"(the checkpoint {Path.Combine(run, "checkpoints", "step_0000004")} was not created); the earlier checkpoint " +
                            $"{Path.Combine(run, "checkpoints", "step_0000002")} is intact (resume from it once there is room)", line);

        // Checkpoint 2 is complete and loads; nothing newer, nothing half-written.
        var checkpoints = Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(["step_0000002"], checkpoints);
        AssertCheckpointLoads(Path.Combine(run, "checkpoints", "step_0000002"));
        AssertNoTemporaries(run);
        var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        foreach (var l in lines) JsonDocument.Parse(l).Dispose();

        // Room again: the resume finishes, with the weights of the run that never failed.
        CliHarness.Ok("train", "--resume", run);
        Assert.EndsWith("step_0000006", new RunFolder(run).Latest!.Root);
        var a = StateDictIO.Load(new RunFolder(full).Latest!.ModelPath);
        var b = StateDictIO.Load(new RunFolder(run).Latest!.ModelPath);
        foreach (var (name, t) in a) Assert.True(t.eq(b[name]).all().item<bool>(), $"tensor {name} differs after the failure and the resume");
        foreach (var l in File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))) JsonDocument.Parse(l).Dispose();
        AssertNoTemporaries(run);
    }

    // ---- exports and traces ----

    [Fact]
    public void An_export_and_a_trace_that_cannot_be_written_leave_the_previous_files()
    {
        var run = Path.Combine(_tmp.Path, "run");
        CliHarness.Ok(Train(run));
        var export = Path.Combine(_tmp.Path, "export");
        CliHarness.Ok("export", "--checkpoint", run, "--out", export, "--gpus", "1");
        var before = Snapshot(export);
        foreach (var free in new long[] { 100, 20_000 })   // inside the weights, and inside all_config.yaml or launch.sh
        {
            using (FaultInjection.DiskFull(free)) CliHarness.Fails(NoSpace, "export", "--checkpoint", run, "--out", export, "--gpus", "2");
            var after = Snapshot(export);
            Assert.Equal(before.Keys.Order(), after.Keys.Order());
            // Every file is either the previous export's or a complete new one, never a torn one.
            Assert.NotEmpty(StateDictIO.Load(Path.Combine(export, before.Keys.Single(k => k.StartsWith("step_", StringComparison.Ordinal)))));
            AssertNoTemporaries(export);
        }

        var maze = _tmp.File("maze.txt", Hrm.Tasks.Maze.MazeEncoding.ToText(
            new Hrm.Tasks.Maze.MazeGenerator(new Hrm.Tasks.Maze.MazeGeneratorOptions(11)).Next(new Random(3)).Input, 11));
        var trace = _tmp.File("trace.json");
        var model = Path.Combine(TestPaths.RepoRoot, "models", "maze");
        CliHarness.Ok("trace", "--checkpoint", model, "--maze", maze, "--json", trace, "--max-steps", "2");
        var previous = File.ReadAllBytes(trace);
        using (FaultInjection.DiskFull(500))
        {
            var r = CliHarness.Fails(NoSpace, "trace", "--checkpoint", model, "--maze", maze, "--json", trace, "--max-steps", "3");
            Assert.Contains(trace, r.Error);
        }
        Assert.Equal(previous, File.ReadAllBytes(trace));
        AssertNoTemporaries(_tmp.Path);
    }
}
