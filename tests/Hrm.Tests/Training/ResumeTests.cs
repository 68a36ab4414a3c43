using Hrm.Interop;
using Hrm.Tasks.Sudoku;
using Hrm.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Training;

/// <summary>
/// Resume is exact on the CPU in float32: N steps in one go, or N/2 steps, a stop (checkpoint), and a resume to N,
/// give the same weights. This needs the optimiser state, step/schedule, data order, exploration RNG and ACT carry.
/// </summary>
public class ResumeTests
{
    sealed class StopAt(long step, CancellationTokenSource cts) : ITrainingObserver
    {
        public void OnStep(TrainProgress p) { if (p.Step == step) cts.Cancel(); }
    }

    /// <summary>HRM's tiny preset, and TRM with EMA on (the model file then holds the EMA weights, and the raw weights
    /// and the shadow must come back from the optimizer file); evaluations mid-run swap the EMA weights in and out.</summary>
    [Theory]
    [InlineData("tiny-test", "")]
    [InlineData("tiny-test", "augment=true")]   // the views are drawn from the seed and the batch number, so resume sees the same ones
    [InlineData("trm-sudoku4-cpu", "arch.hidden_size=32 arch.halt_max_steps=2 global_batch_size=32 ema_rate=0.8 threads=1")]
    public void StoppedAndResumedRunMatchesUninterruptedRun(string preset, string extra)
    {
        using var tmp = new TempDirectory();
        var data = Path.Combine(tmp.Path, "data");
        var seen = new HashSet<string>();
        SudokuDataset.Write(data, SudokuShape.Size4,
            SudokuGenerator.Generate(SudokuShape.Size4, 150, new SudokuGeneratorOptions(), 1, seen),
            SudokuGenerator.Generate(SudokuShape.Size4, 20, new SudokuGeneratorOptions(), 2, seen), numAug: 2, seed: 1);
        // Small epochs so the run crosses iteration boundaries (re-shuffles) before and after the stop.
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", preset + ".json"),
            ["max_steps=24", "log_every_steps=1", "eval_every_steps=null", "checkpoint_every_steps=null", "eval_interval=2", "lr_min_ratio=0.1", "arch.halt_exploration_prob=0.5",
             .. extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);

        var full = Path.Combine(tmp.Path, "full");
        TrainingRun.Start(config, data, full);

        var split = Path.Combine(tmp.Path, "split");
        using (var cts = new CancellationTokenSource())
        {
            var first = TrainingRun.Start(config, data, split, new StopAt(12, cts), cancel: cts.Token);
            Assert.True(first.Stopped);
            Assert.Equal(12, first.Steps);
        }
        var second = TrainingRun.Start(config, data, split, resume: true);
        Assert.Equal(24, second.Steps);

        foreach (var file in new[] { CheckpointFolder.ModelFile, CheckpointFolder.OptimizerFile })
        {
            var a = StateDictIO.Load(Path.Combine(new RunFolder(full).Latest!.Root, file));
            var b = StateDictIO.Load(Path.Combine(new RunFolder(split).Latest!.Root, file));
            Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
            if (config.Ema) Assert.Equal(file == CheckpointFolder.OptimizerFile, a.Keys.Any(k => k.StartsWith("raw.")));
            foreach (var (name, t) in a)
                Assert.True(t.eq(b[name]).all().item<bool>(), $"{file}: tensor {name} differs after resume (max |diff| {(t.to(float64) - b[name].to(float64)).abs().max().item<double>()})");
        }
    }
}
