using Hrm.Training;

namespace Hrm.Tests.Training;

/// <summary>lr_schedule time: the same warm-up in steps, then the cosine over the fraction of max_minutes spent, so a
/// run bounded by time ends its decay when its time ends, on a fast or a slow machine.</summary>
public sealed class TimeScheduleTests
{
    [Fact]
    public void The_cosine_follows_the_given_progress_after_the_step_warm_up()
    {
        Assert.Equal(0.5e-3, Schedule.LearningRateAt(50, 1e-3, 100, 0.9, 0.1), 15);     // warm-up is by steps
        Assert.Equal(1e-3, Schedule.LearningRateAt(100, 1e-3, 100, 0.0, 0.1), 15);
        Assert.Equal(0.55e-3, Schedule.LearningRateAt(500, 1e-3, 100, 0.5, 0.1), 15);   // halfway: (1 + 0.1) / 2
        Assert.Equal(0.1e-3, Schedule.LearningRateAt(900, 1e-3, 100, 1.0, 0.1), 15);
        Assert.Equal(0.1e-3, Schedule.LearningRateAt(900, 1e-3, 100, 1.7, 0.1), 15);    // past the budget: the floor
        // By steps it is the same curve with progress = (step - warm-up) / (total - warm-up).
        Assert.Equal(Schedule.LearningRate(550, 1e-3, 100, 1000, 0.1), Schedule.LearningRateAt(550, 1e-3, 100, 0.5, 0.1), 15);
    }

    [Fact]
    public void Time_needs_max_minutes_and_other_names_are_refused()
    {
        var preset = Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json");
        Assert.Contains("needs max_minutes", Assert.Throws<HrmException>(() => TrainConfig.Load(preset, ["lr_schedule=time", "max_minutes=null"])).Message);
        Assert.Contains("lr_schedule must be steps or time", Assert.Throws<HrmException>(() => TrainConfig.Load(preset, ["lr_schedule=epochs"])).Message);
        Assert.Equal("time", TrainConfig.Load(preset, ["lr_schedule=time", "max_minutes=1"]).LrSchedule);
    }

    /// <summary>A short run with lr_schedule time decays towards lr_min_ratio as its time runs out.</summary>
    [Fact]
    public void A_time_scheduled_run_decays_with_its_clock()
    {
        using var tmp = new TempDirectory();
        var data = Path.Combine(tmp.Path, "d");
        Hrm.Tests.Cli.CliHarness.Ok("data", "sudoku", "--size", "4", "--train", "50", "--test", "10", "--out", data, "--quiet");
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"),
            ["lr_schedule=time", "max_minutes=0.05", "max_steps=100000", "lr=0.001", "lr_min_ratio=0.1", "lr_warmup_steps=0", "log_every_steps=1",
             "eval_every_steps=null", "checkpoint_every_steps=null", "threads=1"]);
        var lrs = new List<double>();
        var result = TrainingRun.Start(config, data, Path.Combine(tmp.Path, "r"), new Lrs(lrs));
        Assert.True(result.Stopped, "the run stops by time");
        Assert.True(lrs.Count >= 3, $"only {lrs.Count} steps logged");
        Assert.True(lrs[0] > 2 * lrs[^1], $"first lr {lrs[0]}, last {lrs[^1]}");
        Assert.True(lrs[^1] < 0.3e-3, $"last lr {lrs[^1]}");
        Assert.True(lrs.Zip(lrs.Skip(1)).All(p => p.Second <= p.First + 1e-12), "the lr only falls");
    }

    sealed class Lrs(List<double> lrs) : ITrainingObserver
    {
        public void OnStep(TrainProgress p) => lrs.Add(p.Lr);
    }
}
