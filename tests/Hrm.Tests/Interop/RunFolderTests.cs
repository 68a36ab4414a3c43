using Hrm.Interop;
using Hrm.Tests.Corpus;
using Hrm.Training;

namespace Hrm.Tests.Interop;

/// <summary>
/// A run folder's layout is produced and read through one type, <see cref="RunFolder"/> (with its
/// <see cref="CheckpointFolder"/>): a run trained through <see cref="TrainingRun"/> leaves its files exactly at the
/// paths the type names (the names external tools and the authors' loaders read), and what reads a run (the latest
/// checkpoint, a model load, the run above a checkpoint) finds them through it. The resume and init-from rules are
/// <see cref="TrainingRun"/>'s.
/// </summary>
public class RunFolderTests
{
    [Fact]
    public void The_paths_keep_the_names_that_tools_read()
    {
        var run = new RunFolder(Path.Combine("runs", "x"));
        string At(params string[] parts) => Path.Combine(["runs", "x", .. parts]);
        Assert.Equal(At("train_config.json"), run.TrainConfigPath);
        Assert.Equal(At("metrics.jsonl"), run.MetricsPath);
        Assert.Equal(At("tensorboard"), run.TensorBoardPath);
        Assert.Equal(At("precision.json"), run.PrecisionPath);
        Assert.Equal(At("init-from.txt"), run.InitFromPath);
        Assert.Equal(At("data"), run.DataFolder);
        Assert.Equal(At("data-recipe.txt"), run.DataRecipePath);
        var checkpoint = run.CheckpointAt(40);
        Assert.Equal(At("checkpoints", "step_0000040"), checkpoint.Root);
        Assert.Equal(At("checkpoints", "step_0000040.tmp"), checkpoint.TempPath);
        Assert.Equal(At("checkpoints", "step_0000040", "model.safetensors"), checkpoint.ModelPath);
        Assert.Equal(At("checkpoints", "step_0000040", "config.json"), checkpoint.ConfigPath);
        Assert.Equal(At("checkpoints", "step_0000040", "train_config.json"), checkpoint.TrainConfigPath);
        Assert.Equal(At("checkpoints", "step_0000040", "optimizer.safetensors"), checkpoint.OptimizerPath);
        Assert.Equal(At("checkpoints", "step_0000040", "position.json"), checkpoint.PositionPath);
        Assert.Equal("step_40", CheckpointFolder.ReferenceNameOf(40));
    }

    [Fact]
    public void Step_names_ours_and_theirs_parse_in_one_place()
    {
        Assert.Equal(40, CheckpointFolder.StepOf(Path.Combine("run", "checkpoints", "step_0000040")));
        Assert.Equal(40, CheckpointFolder.StepOf(Path.Combine("run", "checkpoints", "step_0000040") + Path.DirectorySeparatorChar));
        Assert.Equal(6, CheckpointFolder.StepOf(Path.Combine("export", "step_6")));
        Assert.Equal(12345678, new RunFolder("r").CheckpointAt(12345678).Step);
        foreach (var name in new[] { "step_", "step_0000040.tmp", "step_x", "Step_1", "step_-1", "model.safetensors" })
            Assert.Null(CheckpointFolder.StepOf(name));
    }

    [Fact]
    public void The_latest_checkpoint_is_the_highest_complete_step()
    {
        using var tmp = new TempDirectory();
        var run = new RunFolder(Path.Combine(tmp.Path, "run"));
        Assert.Null(run.Latest);
        Assert.Empty(run.Checkpoints());

        foreach (long step in new long[] { 9_999_999, 20, 10_000_000 }) Samples.TinyCheckpoint(run.CheckpointAt(step).Root);
        // Not checkpoints: a folder still being written, one without its config, a stray folder.
        Samples.TinyCheckpoint(run.CheckpointAt(20_000_000).TempPath);
        Directory.CreateDirectory(run.CheckpointAt(30_000_000).Root);
        Samples.TinyCheckpoint(Path.Combine(run.CheckpointsPath, "step_best"));

        // By step, not by name: eight digits come after seven.
        Assert.Equal([20L, 9_999_999L, 10_000_000L], run.Checkpoints().Select(c => c.Step!.Value));
        Assert.Equal(run.CheckpointAt(10_000_000), run.Latest);
        // A run folder given as a checkpoint loads its latest checkpoint.
        Assert.Equal(run.CheckpointAt(10_000_000).ModelPath, ModelStore.ResolveWeights(run.Root));
        Assert.Equal(run.CheckpointAt(10_000_000).ConfigPath, ModelStore.Resolve(run.Root).Config);
    }

    [Fact]
    public void A_checkpoint_knows_its_run_and_the_run_configs_nearest_first()
    {
        using var tmp = new TempDirectory();
        var run = new RunFolder(Path.Combine(tmp.Path, "run"));
        run.Prepare("{}");
        var checkpoint = run.CheckpointAt(3);
        Samples.TinyCheckpoint(checkpoint.Root);
        Assert.Equal(Path.GetFullPath(run.Root), checkpoint.Run!.Root);
        Assert.Equal([run.TrainConfigPath], checkpoint.TrainConfigs().Select(Path.GetFullPath));
        File.WriteAllText(checkpoint.TrainConfigPath, "{}");
        Assert.Equal([checkpoint.TrainConfigPath, run.TrainConfigPath], checkpoint.TrainConfigs().Select(Path.GetFullPath));
        Assert.Equal(Path.GetFullPath(checkpoint.Root), CheckpointFolder.Holding(checkpoint.ModelPath).Root);
        // A model folder outside a run has no run above it.
        Assert.Null(new CheckpointFolder(Path.Combine(tmp.Path, "models", "sudoku4")).Run);
    }

    [Fact]
    public void A_trained_run_leaves_its_files_where_the_layout_says_and_resumes_through_it()
    {
        using var tmp = new TempDirectory();
        var data = Samples.TinyDataset(Path.Combine(tmp.Path, "data"));
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"),
            ["max_steps=4", "checkpoint_every_steps=2", "eval_every_steps=null", "eval_max_examples=4", "global_batch_size=4"]);
        var runDir = Path.Combine(tmp.Path, "run");

        var first = TrainingRun.New(config, runDir);
        Assert.False(first.Resumes);
        var result = first.Train(data);
        var run = first.Folder;
        Assert.Equal(Path.GetFullPath(run.CheckpointAt(4).Root), result.LastCheckpoint);
        Assert.Equal([2L, 4L], run.Checkpoints().Select(c => c.Step!.Value));
        foreach (var file in new[] { run.TrainConfigPath, run.MetricsPath })
            Assert.True(File.Exists(file), file);
        Assert.True(Directory.Exists(run.TensorBoardPath));
        var latest = run.Latest!;
        foreach (var file in new[] { latest.ModelPath, latest.ConfigPath, latest.TrainConfigPath, latest.OptimizerPath, latest.PositionPath })
            Assert.True(File.Exists(file), file);
        // Nothing else at the top of the run folder or in a checkpoint: every path there is the layout's.
        Assert.Equal(new[] { run.CheckpointsPath, run.TensorBoardPath }.Order(), Directory.GetDirectories(run.Root).Order());
        Assert.Equal(new[] { run.MetricsPath, run.TrainConfigPath }.Order(), Directory.GetFiles(run.Root).Order());
        Assert.Equal(new[] { latest.ConfigPath, latest.ModelPath, latest.OptimizerPath, latest.PositionPath, latest.TrainConfigPath }.Order(),
            Directory.GetFiles(latest.Root).Order());

        // A new run in a folder that holds one is refused; a resume continues it with the saved config.
        Assert.Contains("already holds a run", Assert.Throws<HrmException>(() => TrainingRun.New(config, runDir)).Message);
        var resumed = TrainingRun.Resume(runDir, ["max_steps=6"]);
        Assert.True(resumed.Resumes);
        Assert.Null(resumed.InitFrom);
        Assert.Equal(Path.GetFullPath(data), resumed.Config.DataPath);
        Assert.Equal(6, resumed.Train(resumed.Config.DataPath!).Steps);
        Assert.Equal(6, run.Latest!.Step);
    }

    [Fact]
    public void Init_from_is_remembered_and_taken_again_only_by_a_resume_before_the_first_checkpoint()
    {
        using var tmp = new TempDirectory();
        var weights = Samples.TinyCheckpoint(Path.Combine(tmp.Path, "weights"));
        var runDir = Path.Combine(tmp.Path, "run");
        var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"));
        Assert.Contains("not a run folder", Assert.Throws<HrmException>(() => TrainingRun.Resume(runDir)).Message);

        var run = new RunFolder(runDir);
        Assert.Equal(weights, TrainingRun.New(config, runDir, weights).InitFrom);
        // As Train leaves it before the first checkpoint: the saved config and where the weights came from.
        run.Prepare(config.ToJson());
        File.WriteAllText(run.InitFromPath, Path.GetFullPath(weights) + "\n");
        Assert.Equal(Path.GetFullPath(weights), TrainingRun.Resume(runDir).InitFrom);
        // With a checkpoint the run's own weights win.
        Samples.TinyCheckpoint(run.CheckpointAt(2).Root);
        Assert.Null(TrainingRun.Resume(runDir).InitFrom);

        // Weights without a training config beside them: the message says what is missing, in library terms.
        var e = Assert.Throws<HrmException>(() => TrainingRun.ConfigBeside(weights));
        Assert.Contains("train_config.json", e.Message);
        Assert.DoesNotContain("--", e.Message);
        File.WriteAllText(new CheckpointFolder(weights).TrainConfigPath, config.ToJson());
        Assert.Equal(config.ToJson(), TrainingRun.ConfigBeside(weights).ToJson());
    }
}
