using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Tasks;
using Hrm.Tasks.Sudoku;
using Hrm.Tests.Cli;
using Hrm.Training;

namespace Hrm.Tests.Tasks;

/// <summary>The task is recorded in dataset.json and in checkpoints, and drives solving without guessing.</summary>
public sealed class TaskRecordTests : IDisposable
{
    readonly TempDirectory _tmp = new();
    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Datasets_record_their_task_and_training_copies_it_into_the_model_config()
    {
        var dir = _tmp.File("s4");
        var seen = new HashSet<string>();
        SudokuDataset.Write(dir, SudokuShape.Size4, SudokuGenerator.Generate(SudokuShape.Size4, 5, new SudokuGeneratorOptions(), 1, seen),
            SudokuGenerator.Generate(SudokuShape.Size4, 2, new SudokuGeneratorOptions(), 2, seen), numAug: 0, seed: 1);
        var meta = PuzzleDatasetDirectory.ReadMetadata(dir, "train");
        Assert.Equal("sudoku", meta.Task);
        Assert.Contains("\"task\":\"sudoku\"", File.ReadAllText(Path.Combine(dir, "train", "dataset.json")));
        var cfg = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json")).ModelConfig(meta);
        Assert.Equal("sudoku", cfg.Task);
        Assert.Equal("sudoku", ConfigJson.Parse(ConfigJson.ToJson(cfg), "x").Task);
    }

    /// <summary>A 4x4 maze has the shape of a 4x4 Sudoku (seq 16, vocab 6): only the recorded task tells them apart.</summary>
    [Fact]
    public void The_recorded_task_drives_solve_where_the_shape_is_ambiguous()
    {
        string Save(string name, string? task)
        {
            var cfg = new HrmConfig
            {
                SeqLen = 16, VocabSize = 6, HiddenSize = 16, NumHeads = 2, HLayers = 1, LLayers = 1, HCycles = 1, LCycles = 1,
                HaltMaxSteps = 1, PuzzleEmbNdim = 0, ForwardDtype = "float32", BatchSize = 1, Task = task,
            }.Validate();
            var dir = _tmp.File(name);
            using var model = new ActModel(cfg);
            ModelStore.Save(dir, model);
            return dir;
        }
        var maze = Save("maze4", "maze");
        var unrecorded = Save("plain", null);
        var file = _tmp.File("m.txt");
        File.WriteAllLines(file, ["S  #", "## #", "   #", "G  #"]);

        var r = CliHarness.Ok("solve", "--checkpoint", maze, "--maze", file, "--threads", "1");
        Assert.Contains("a 4x4 maze", r.Out);
        using (var solver = Solver.Load(maze)) Assert.Equal("maze", solver.Task.Name);
        using (var solver = Solver.Load(unrecorded)) Assert.Equal("sudoku", solver.Task.Name);
        CliHarness.Fails("expects a 4x4 Sudoku", "solve", "--checkpoint", unrecorded, "--maze", file);
        CliHarness.Fails("cannot solve a 4x4 Sudoku", "solve", "--checkpoint", maze, "1..4..2..3..4..1");
    }

    [Fact]
    public void A_recorded_task_that_does_not_fit_the_shape_is_an_error() =>
        Assert.Contains("task sudoku needs seq_len 81 and vocab_size 11", Assert.Throws<HrmException>(() => PuzzleTask.FromName("sudoku", 81, 6)).Message);
}
