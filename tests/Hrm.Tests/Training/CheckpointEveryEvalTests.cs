using Hrm.Tasks.Sudoku;
using Hrm.Training;

namespace Hrm.Tests.Training;

/// <summary>checkpoint_every_eval (the reference's default) writes a checkpoint at every evaluation.</summary>
public class CheckpointEveryEvalTests
{
    [Theory]
    [InlineData(true, new[] { "step_0000004", "step_0000008", "step_0000012" })]
    [InlineData(false, new[] { "step_0000012" })]
    public void Checkpoints_follow_the_evaluations(bool everyEval, string[] expected)
    {
        using var tmp = new TempDirectory();
        var data = Path.Combine(tmp.Path, "data");
        var seen = new HashSet<string>();
        SudokuDataset.Write(data, SudokuShape.Size4, SudokuGenerator.Generate(SudokuShape.Size4, 40, new SudokuGeneratorOptions(), 1, seen),
            SudokuGenerator.Generate(SudokuShape.Size4, 8, new SudokuGeneratorOptions(), 2, seen), numAug: 0, seed: 1);
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"),
            ["max_steps=12", "eval_every_steps=4", "checkpoint_every_steps=null", $"checkpoint_every_eval={(everyEval ? "true" : "false")}", "global_batch_size=8"]);
        var run = Path.Combine(tmp.Path, "run");
        var evaluations = new List<long>();
        TrainingRun.Start(config, data, run, new Watch(evaluations));
        Assert.Equal([4, 8, 12], evaluations);
        Assert.Equal(expected, Directory.GetDirectories(Path.Combine(run, "checkpoints")).Select(Path.GetFileName).Order().ToArray());
    }

    sealed class Watch(List<long> evaluations) : ITrainingObserver
    {
        public void OnEvaluation(EvalReport report) => evaluations.Add(report.Step);
    }
}
