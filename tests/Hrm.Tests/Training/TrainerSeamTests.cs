using Hrm.Data;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Tasks.Sudoku;
using Hrm.Training;
using TorchSharp;

namespace Hrm.Tests.Training;

/// <summary>The Trainer takes a model and puzzle sets: an in-memory model trained on in-memory sets, with no folder
/// but the run folder.</summary>
public class TrainerSeamTests
{
    [Fact]
    public void A_trainer_given_an_in_memory_model_and_puzzle_sets_trains_it()
    {
        using var tmp = new TempDirectory();
        var shape = SudokuShape.Size4;
        var seen = new HashSet<string>();
        var train = SudokuGenerator.Generate(shape, 200, new SudokuGeneratorOptions(), 1, seen);
        var test = SudokuGenerator.Generate(shape, 30, new SudokuGeneratorOptions(), 2, seen);
        var data = new TrainingData(
            PuzzleSet.InMemory(SudokuDataset.BuildSplit(shape, train, 0, new Random(1)), shape.VocabSize, task: "sudoku", split: "train"),
            [PuzzleSet.InMemory(SudokuDataset.BuildSplit(shape, test, 0, new Random(2)), shape.VocabSize, task: "sudoku", split: "test")]);
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"), ["max_steps=20", "eval_every_steps=100"]);
        using var model = new ActModel(config.ModelConfig(data.Train.Metadata), new torch.Generator(3));
        var before = model.state_dict()["inner.lm_head.weight"].clone();

        var run = Path.Combine(tmp.Path, "run");
        var result = new Trainer(config, new RunFolder(run)).Run(model, data);

        Assert.Equal(20, result.Steps);
        Assert.Equal(30, result.LastEvaluation!.Sets["all"].Count);
        Assert.True((model.state_dict()["inner.lm_head.weight"] - before).abs().max().item<float>() > 0, "the given model's weights did not move");
        // The only folder written is the run folder: no data folder, no data_path.
        Assert.Equal([run], Directory.GetDirectories(tmp.Path));
        Assert.DoesNotContain("data_path", File.ReadAllText(new RunFolder(run).TrainConfigPath));
        // Its checkpoint holds the given model's weights.
        using var saved = ModelStore.Load(result.LastCheckpoint!);
        Assert.Equal(0f, (saved.state_dict()["inner.lm_head.weight"] - model.state_dict()["inner.lm_head.weight"]).abs().max().item<float>());
    }

    [Fact]
    public void Sets_that_disagree_on_the_sequence_length_are_refused()
    {
        var a = PuzzleSet.InMemory(SudokuDataset.BuildSplit(SudokuShape.Size4, SudokuGenerator.Generate(SudokuShape.Size4, 5, new SudokuGeneratorOptions(), 1, new HashSet<string>()), 0, new Random(1)), 6);
        var b = PuzzleSet.InMemory(SudokuDataset.BuildSplit(SudokuShape.Size6, SudokuGenerator.Generate(SudokuShape.Size6, 5, new SudokuGeneratorOptions(), 1, new HashSet<string>()), 0, new Random(1)), 8);
        Assert.Contains("disagree", Assert.Throws<HrmException>(() => new TrainingData(a, [b]).Checked()).Message);
    }
}
