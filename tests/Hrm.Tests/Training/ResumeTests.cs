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

    [Fact]
    public void StoppedAndResumedRunMatchesUninterruptedRun()
    {
        using var tmp = new TempDirectory();
        var data = Path.Combine(tmp.Path, "data");
        var seen = new HashSet<string>();
        SudokuDataset.Write(data, SudokuShape.Size4,
            SudokuGenerator.Generate(SudokuShape.Size4, 150, new SudokuGeneratorOptions(), 1, seen),
            SudokuGenerator.Generate(SudokuShape.Size4, 20, new SudokuGeneratorOptions(), 2, seen), numAug: 2, seed: 1);
        // Small epochs so the run crosses iteration boundaries (re-shuffles) before and after the stop.
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"),
            ["max_steps=24", "log_every_steps=1", "eval_every_steps=null", "checkpoint_every_steps=null", "eval_interval=2", "lr_min_ratio=0.1", "arch.halt_exploration_prob=0.5"]);

        var full = Path.Combine(tmp.Path, "full");
        new Trainer(config, data, full).Run();

        var split = Path.Combine(tmp.Path, "split");
        using (var cts = new CancellationTokenSource())
        {
            var first = new Trainer(config, data, split, new StopAt(12, cts)).Run(cancel: cts.Token);
            Assert.True(first.Stopped);
            Assert.Equal(12, first.Steps);
        }
        var second = new Trainer(config, data, split).Run(resume: true);
        Assert.Equal(24, second.Steps);

        var a = StateDictIO.Load(Path.Combine(Checkpoint.Latest(full)!, Checkpoint.ModelFile));
        var b = StateDictIO.Load(Path.Combine(Checkpoint.Latest(split)!, Checkpoint.ModelFile));
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        foreach (var (name, t) in a)
            Assert.True(t.eq(b[name]).all().item<bool>(), $"tensor {name} differs after resume (max |diff| {(t - b[name]).abs().max().item<float>()})");
    }
}
