using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Tasks.Sudoku;
using Hrm.Training;
using Xunit.Abstractions;

namespace Hrm.Tests.Training;

/// <summary>
/// The model learns: a small HRM trained on generated minimal 4x4 Sudoku (2x2 boxes, 4-6 givens, unique solution)
/// with a fixed step budget solves held-out puzzles it never saw. Exact accuracy is built across the carried segments,
/// so a failure here usually means the carry or the one-step gradient is broken.
/// </summary>
public class LearningTests(ITestOutputHelper log)
{
    /// <summary>HRM's preset, and TRM's with one layer in its network (the same block applications per segment as
    /// HRM's preset, so the test costs about the same; the recursion and the full last-recursion gradient are TRM's).</summary>
    [Theory]
    [InlineData("sudoku4-cpu", "")]
    [InlineData("trm-sudoku4-cpu", "arch.L_layers=1")]
    public void SmallModelLearnsFourByFourSudoku(string preset, string extra)
    {
        using var tmp = new TempDirectory();
        var data = Path.Combine(tmp.Path, "sudoku4");
        var shape = SudokuShape.Size4;
        var seen = new HashSet<string>();
        var train = SudokuGenerator.Generate(shape, 3000, new SudokuGeneratorOptions(), seed: 11, seen);
        var test = SudokuGenerator.Generate(shape, 500, new SudokuGeneratorOptions(), seed: 12, seen);
        SudokuDataset.Write(data, shape, train, test, numAug: 0, seed: 11);

        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", preset + ".json"),
            [$"max_steps={Steps}", "eval_every_steps=1000000", "checkpoint_every_steps=null", "log_every_steps=100", .. extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        var observer = new LogObserver(log);
        var result = TrainingRun.Start(config, data, Path.Combine(tmp.Path, "run"), observer);

        var final = result.LastEvaluation!.Sets["all"];
        log.WriteLine($"after {result.Steps} steps ({result.Elapsed.TotalSeconds:F0} s): held-out exact {final.ExactAccuracy:P1} on {final.Count}, token {final.TokenAccuracy:P1}");
        Assert.Equal(500, final.Count);
        Assert.True(final.ExactAccuracy >= 0.30, $"held-out exact accuracy {final.ExactAccuracy:P1} < 30%");
    }

    const int Steps = 1000;

    sealed class LogObserver(ITestOutputHelper log) : ITrainingObserver
    {
        public void OnStep(TrainProgress p) => log.WriteLine($"step {p.Step}: lm_loss {p.LmLoss:F3} train exact {p.ExactAccuracy:P1} steps {p.MeanSteps:F2} ({p.StepsPerSecond:F1} steps/s)");
        public void OnEvaluation(EvalReport r) => log.WriteLine($"eval step {r.Step}: exact {r.Sets["all"].ExactAccuracy:P1}");
    }
}
