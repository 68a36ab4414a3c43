using System.Diagnostics;
using System.Text.Json;
using Hrm.Interop;
using Hrm.Tasks.Sudoku;
using Hrm.Training;

namespace Hrm.Tests.Training;

/// <summary>
/// Crash safety: a training process killed with SIGKILL at random points (checkpointing every step, so many kills land
/// inside a checkpoint write) leaves only complete, loadable checkpoints; `--resume` continues, and the finished run has
/// exactly the weights of an uninterrupted one. Non-finite losses stop the run without writing anything newer.
/// </summary>
public sealed class CrashSafetyTests : IDisposable
{
    readonly TempDirectory _tmp = new();
    public void Dispose() => _tmp.Dispose();

    static readonly string[] Overrides =
        ["max_steps=40", "checkpoint_every_steps=1", "eval_every_steps=null", "log_every_steps=1", "threads=1", "global_batch_size=16"];

    string Data()
    {
        var data = _tmp.File("data");
        var seen = new HashSet<string>();
        SudokuDataset.Write(data, SudokuShape.Size4, SudokuGenerator.Generate(SudokuShape.Size4, 60, new SudokuGeneratorOptions(), 1, seen),
            SudokuGenerator.Generate(SudokuShape.Size4, 10, new SudokuGeneratorOptions(), 2, seen), numAug: 1, seed: 1);
        return data;
    }

    static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Hrm.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    static long LoggedStep(string run)
    {
        var path = Path.Combine(run, "metrics.jsonl");
        if (!File.Exists(path)) return 0;
        long max = 0;
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(f);
        while (reader.ReadLine() is string line)
        {
            try { max = Math.Max(max, JsonDocument.Parse(line).RootElement.GetProperty("step").GetInt64()); }
            catch (JsonException) { }   // a line cut by the kill
        }
        return max;
    }

    /// <summary>Every checkpoint folder on disk is complete and loadable; unfinished writes are only ever *.tmp.</summary>
    static int AssertCheckpointsComplete(string run)
    {
        var root = Path.Combine(run, "checkpoints");
        if (!Directory.Exists(root)) return 0;
        int complete = 0;
        foreach (var dir in Directory.GetDirectories(root))
        {
            if (dir.EndsWith(".tmp")) continue;
            using (var model = ModelStore.Load(dir)) Assert.NotNull(model);
            foreach (var f in new[] { CheckpointFolder.OptimizerFile, CheckpointFolder.PositionFile, RunFolder.TrainConfigFile })
                Assert.True(File.Exists(Path.Combine(dir, f)), $"{dir}: {f} missing");
            Assert.NotEmpty(StateDictIO.Load(new CheckpointFolder(dir).OptimizerPath));
            JsonDocument.Parse(File.ReadAllText(new CheckpointFolder(dir).PositionPath));
            complete++;
        }
        return complete;
    }

    [Fact]
    public void Killed_runs_resume_to_the_weights_of_an_uninterrupted_run()
    {
        var data = Data();
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"), Overrides);
        var full = _tmp.File("full");
        TrainingRun.Start(config, data, full);

        var run = _tmp.File("killed");
        var random = new Random(20261201);
        int kills = 0;
        long target = 0;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            var args = attempt == 0
                ? new[] { "train", "--preset", "tiny-test", "--data", data, "--out", run }.Concat(Overrides.SelectMany(o => new[] { "--set", o })).ToArray()
                : ["train", "--resume", run];
            using var p = Start(args);
            target = Math.Min(38, Math.Max(target, LoggedStep(run)) + random.Next(3, 10));
            var clock = Stopwatch.StartNew();
            while (!p.HasExited && LoggedStep(run) < target && clock.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(5);
            Thread.Sleep(random.Next(0, 40));   // land anywhere in the next step, often inside its checkpoint write
            if (!p.HasExited) { p.Kill(entireProcessTree: true); kills++; }
            p.WaitForExit();
            AssertCheckpointsComplete(run);
        }
        Assert.True(kills >= 3, $"only {kills} kills landed");

        using (var last = Start("train", "--resume", run))
        {
            Assert.True(last.WaitForExit(TimeSpan.FromSeconds(180)), "the final resume did not finish");
            Assert.Equal(0, last.ExitCode);
        }
        Assert.True(AssertCheckpointsComplete(run) > 0);

        var a = StateDictIO.Load(new RunFolder(full).Latest!.ModelPath);
        var b = StateDictIO.Load(new RunFolder(run).Latest!.ModelPath);
        Assert.EndsWith("step_0000040", new RunFolder(run).Latest!.Root);
        foreach (var (name, t) in a)
            Assert.True(t.eq(b[name]).all().item<bool>(), $"tensor {name} differs after {kills} kills and resumes");
    }

    [Fact]
    public void A_run_killed_before_its_first_checkpoint_starts_again_on_resume()
    {
        var data = Data();
        var run = _tmp.File("early");
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"), Overrides);
        Directory.CreateDirectory(run);
        File.WriteAllText(new RunFolder(run).TrainConfigPath, (config with { DataPath = Path.GetFullPath(data) }).ToJson());
        var r = Hrm.Tests.Cli.CliHarness.Ok("train", "--resume", run);
        Assert.Contains("nothing to resume", r.Out);
        Assert.Contains("starting from step 0", r.Out);
        Assert.EndsWith("step_0000040", new RunFolder(run).Latest!.Root);
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("skip")]
    public void A_non_finite_loss_stops_the_run_or_is_skipped(string policy)
    {
        var data = Data();
        // A learning rate of 1e30 blows the weights up within a few steps: the loss becomes NaN.
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"),
            [.. Overrides, "lr=1e30", "lr_warmup_steps=0", "checkpoint_every_steps=2", $"nan_policy={policy}"]);
        var run = _tmp.File("nan-" + policy);
        var steps = new List<long>();
        if (policy == "stop")
        {
            var e = Assert.Throws<HrmException>(() => TrainingRun.Start(config, data, run, new Watch(steps)));
            Assert.Matches(@"^step \d+: the loss or a gradient is not finite", e.Message);
            long bad = long.Parse(e.Message.Split(':')[0]["step ".Length..]);
            // Nothing at or after the bad step was written, and what is there loads.
            var written = Directory.Exists(Path.Combine(run, "checkpoints"))
                ? Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(d => long.Parse(Path.GetFileName(d)["step_".Length..])).ToList() : [];
            Assert.All(written, s => Assert.True(s < bad, $"checkpoint {s} written at or after the bad step {bad}"));
            AssertCheckpointsComplete(run);
        }
        else
        {
            var result = TrainingRun.Start(config, data, run, new Watch(steps));
            Assert.Equal(40, result.Steps);
        }
    }

    sealed class Watch(List<long> steps) : ITrainingObserver
    {
        public void OnStep(TrainProgress p) => steps.Add(p.Step);
    }
}

public sealed class UnwritableOutputTests : IDisposable
{
    readonly TempDirectory _tmp = new();
    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void An_output_folder_that_cannot_be_written_fails_before_training()
    {
        var blocker = _tmp.File("a-file");
        File.WriteAllText(blocker, "not a folder");
        var e = Assert.Throws<HrmException>(() => TrainingRun.Start(
            TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json")), Path.Combine(TestPaths.RepoRoot, "missing-data"), Path.Combine(blocker, "run")));
        Assert.Contains("missing-data", e.Message);   // the data is checked first
        var data = _tmp.File("data");
        var seen = new HashSet<string>();
        Hrm.Tasks.Sudoku.SudokuDataset.Write(data, Hrm.Tasks.Sudoku.SudokuShape.Size4,
            Hrm.Tasks.Sudoku.SudokuGenerator.Generate(Hrm.Tasks.Sudoku.SudokuShape.Size4, 20, new Hrm.Tasks.Sudoku.SudokuGeneratorOptions(), 1, seen),
            Hrm.Tasks.Sudoku.SudokuGenerator.Generate(Hrm.Tasks.Sudoku.SudokuShape.Size4, 4, new Hrm.Tasks.Sudoku.SudokuGeneratorOptions(), 2, seen), numAug: 0, seed: 1);
        var w = Assert.Throws<HrmException>(() => TrainingRun.Start(TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json")), data, Path.Combine(blocker, "run")));
        Assert.Contains("cannot write the run folder", w.Message);
        Assert.Equal("not a folder", File.ReadAllText(blocker));
    }
}
