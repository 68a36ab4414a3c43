using System.Text.Json;
using Hrm.Interop;
using Hrm.Training;

namespace Hrm.Tests.Cli;

public sealed class SweepTests
{
    [Fact]
    public void Grid_is_every_combination_first_axis_slowest()
    {
        var axes = SweepGrid.ParseAxes(["lr=1e-3,3e-3", "max_steps=10", "arch.H_cycles=1,2,3"]);
        var grid = SweepGrid.Expand(axes);
        Assert.Equal(6, grid.Count);
        Assert.Equal(["lr=1e-3", "max_steps=10", "arch.H_cycles=1"], grid[0].Overrides);
        Assert.Equal(["lr=3e-3", "max_steps=10", "arch.H_cycles=3"], grid[5].Overrides);
        // The label names the swept keys only; the folder name is numbered and free of spaces.
        Assert.Equal("lr=1e-3 arch.H_cycles=2", grid[1].Label(axes));
        Assert.Equal("002_lr=1e-3_arch.H_cycles=2", grid[1].FolderName(axes, 1));
        // Nothing swept: one run, labelled by its fixed overrides.
        var fixedOnly = SweepGrid.ParseAxes(["max_steps=10"]);
        Assert.Equal("max_steps=10", Assert.Single(SweepGrid.Expand(fixedOnly)).Label(fixedOnly));
    }

    [Theory]
    [InlineData("lr", "key=v1,v2")]
    [InlineData("lr=1e-3,,3e-3", "empty value")]
    [InlineData("lr=1e-3,1e-3", "twice")]
    public void Bad_axes_are_refused(string assignment, string expected)
    {
        var e = Assert.Throws<HrmException>(() => SweepGrid.ParseAxes([assignment]));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Same_key_twice_and_huge_grids_are_refused()
    {
        Assert.Contains("given twice", Assert.Throws<HrmException>(() => SweepGrid.ParseAxes(["lr=1", "lr=2"])).Message);
        var big = SweepGrid.ParseAxes(Enumerable.Range(0, 4).Select(i => $"k{i}=" + string.Join(',', Enumerable.Range(0, 10))));
        Assert.Contains("at most", Assert.Throws<HrmException>(() => SweepGrid.Expand(big)).Message);
    }

    [Fact]
    public void Run_summary_reads_the_curve_and_skips_a_torn_line()
    {
        using var tmp = new TempDirectory();
        File.WriteAllLines(tmp.File("metrics.jsonl"),
        [
            """{"kind":"train","step":5,"elapsed_s":1.5}""",
            """{"kind":"eval","step":5,"set":"all","count":50,"exact_accuracy":0.1,"token_accuracy":0.5,"elapsed_s":2.0}""",
            """{"kind":"eval","step":10,"set":"other","count":50,"exact_accuracy":0.9,"token_accuracy":0.9,"elapsed_s":3.0}""",
            """{"kind":"eval","step":10,"set":"all","count":50,"exact_accuracy":0.25,"token_accuracy":0.75,"elapsed_s":3.5}""",
            """{"kind":"train","st""",
        ]);
        var s = RunSummary.Read(tmp.Path)!;
        Assert.Equal(10, s.Steps);
        Assert.Equal(3.5, s.ElapsedSeconds);
        Assert.Equal([5L, 10L], s.Curve.Select(p => p.Step));
        Assert.Equal(0.25, s.Final!.ExactAccuracy);
        Assert.Null(RunSummary.Read(Path.Combine(tmp.Path, "missing")));
    }

    /// <summary>The command form external checks run, with two child trainings side by side.</summary>
    [Fact]
    public void Sweep_runs_the_grid_and_writes_csv_markdown_and_plot()
    {
        using var tmp = new TempDirectory();
        var data = Path.Combine(tmp.Path, "d");
        CliHarness.Ok("data", "sudoku", "--size", "4", "--train", "100", "--test", "20", "--out", data, "--quiet");
        var outDir = Path.Combine(tmp.Path, "sweep");
        var r = CliHarness.Ok("sweep", "--preset", "tiny-test", "--data", data, "--set", "lr=1e-3,3e-3", "--set", "max_steps=4", "--out", outDir, "--parallel", "2");
        Assert.Contains("2 runs, 2 at a time", r.Out);

        var csv = File.ReadAllLines(Path.Combine(outDir, "results.csv"));
        Assert.StartsWith("setting,steps,minutes,held_out_exact", csv[0]);
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("lr=1e-3,4,", csv[1]);
        Assert.StartsWith("lr=3e-3,4,", csv[2]);
        var md = File.ReadAllText(Path.Combine(outDir, "results.md"));
        Assert.Contains("| setting | steps | minutes | held-out exact |", md);
        Assert.Contains("| lr=3e-3 | 4 |", md);
        var png = File.ReadAllBytes(Path.Combine(outDir, "accuracy.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);

        // Each run is a run folder of its own, trained on one thread.
        foreach (var run in Directory.GetDirectories(Path.Combine(outDir, "runs")))
        {
            var saved = JsonDocument.Parse(File.ReadAllText(new RunFolder(run).TrainConfigPath)).RootElement;
            Assert.Equal(1, saved.GetProperty("threads").GetInt32());
            Assert.Equal(4, saved.GetProperty("max_steps").GetInt32());
            Assert.True(File.Exists(Path.Combine(run, "train.log")));
        }
        // A second sweep into the same folder is refused rather than mixed in.
        CliHarness.Fails("already holds a sweep", "sweep", "--preset", "tiny-test", "--data", data, "--set", "lr=1e-3", "--out", outDir);
    }

    [Fact]
    public void Bad_sweeps_fail_with_one_line_before_starting_anything()
    {
        using var tmp = new TempDirectory();
        var outDir = Path.Combine(tmp.Path, "s");
        CliHarness.Fails("no_such_key", "sweep", "--preset", "tiny-test", "--data", tmp.Path, "--set", "arch.no_such_key=1,2", "--out", outDir);
        CliHarness.Fails("data directory not found", "sweep", "--preset", "tiny-test", "--data", Path.Combine(tmp.Path, "none"), "--set", "lr=1e-3", "--out", outDir);
        CliHarness.Fails("--parallel", "sweep", "--preset", "tiny-test", "--data", tmp.Path, "--set", "lr=1e-3", "--out", outDir, "--parallel", "0");
        CliHarness.Fails("exactly one of --preset", "sweep", "--data", tmp.Path, "--out", outDir);
        Assert.False(Directory.Exists(Path.Combine(outDir, "runs")));
    }

    [Fact]
    public void Sweep_without_data_builds_the_presets_own_data_once()
    {
        using var tmp = new TempDirectory();
        var outDir = Path.Combine(tmp.Path, "sweep");
        CliHarness.Ok("sweep", "--preset", "tiny-test", "--set", "lr=1e-3", "--set", "max_steps=2", "--out", outDir, "--parallel", "1");
        Assert.True(File.Exists(Path.Combine(outDir, "data", "train", "dataset.json")));
        Assert.StartsWith("lr=1e-3 max_steps=2,2,", File.ReadAllLines(Path.Combine(outDir, "results.csv"))[1]);
    }
}
