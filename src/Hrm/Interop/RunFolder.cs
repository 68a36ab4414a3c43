namespace Hrm.Interop;

/// <summary>
/// The layout of a training run's folder: every path in it is made here and nowhere else (external tools and the
/// authors' loaders read these files, so the names never change).
/// <code>
/// RUN/train_config.json           the run's training config, with the data path it trained on
/// RUN/metrics.jsonl               one JSON record per logged step and per evaluated set
/// RUN/tensorboard/                the same scalars as TensorBoard event files
/// RUN/precision.json              the forward_dtype auto decision for this machine, shape and batch
/// RUN/init-from.txt               where a run started from other weights took them
/// RUN/data/, RUN/data-recipe.txt  a preset's own data and the `hrm data` command that built it
/// RUN/checkpoints/step_NNNNNNN/   the checkpoints (<see cref="CheckpointFolder"/>)
/// </code>
/// </summary>
public sealed class RunFolder(string root)
{
    public const string TrainConfigFile = "train_config.json";
    public const string PrecisionFile = "precision.json";
    const string MetricsFile = "metrics.jsonl", TensorBoardFolder = "tensorboard", InitFromFile = "init-from.txt",
        OwnDataFolder = "data", DataRecipeFile = "data-recipe.txt", CheckpointsFolder = "checkpoints";

    /// <summary>Where checkpoints sit in a run folder, as messages name it.</summary>
    public const string CheckpointsPattern = CheckpointsFolder + "/" + CheckpointFolder.StepPattern + "/";

    public string Root { get; } = root;
    public string TrainConfigPath => Path.Combine(Root, TrainConfigFile);
    public string MetricsPath => Path.Combine(Root, MetricsFile);
    public string TensorBoardPath => Path.Combine(Root, TensorBoardFolder);
    public string PrecisionPath => Path.Combine(Root, PrecisionFile);
    public string InitFromPath => Path.Combine(Root, InitFromFile);
    /// <summary>RUN/data: the data a preset with a data recipe builds for itself.</summary>
    public string DataFolder => Path.Combine(Root, OwnDataFolder);
    /// <summary>RUN/data-recipe.txt: the command line that built <see cref="DataFolder"/>.</summary>
    public string DataRecipePath => Path.Combine(Root, DataRecipeFile);
    public string CheckpointsPath => Path.Combine(Root, CheckpointsFolder);

    /// <summary>The checkpoint folder of step <paramref name="step"/> (written or not).</summary>
    public CheckpointFolder CheckpointAt(long step) => new(Path.Combine(CheckpointsPath, CheckpointFolder.NameOf(step)));

    /// <summary>The complete checkpoints (model and config written), by step; a folder still being written
    /// (step_NNNNNNN.tmp) is none.</summary>
    public IReadOnlyList<CheckpointFolder> Checkpoints() => Directory.Exists(CheckpointsPath)
        ? Directory.GetDirectories(CheckpointsPath, CheckpointFolder.StepPattern).Select(d => new CheckpointFolder(d))
            .Where(c => c.Step is not null && c.IsComplete).OrderBy(c => c.Step).ToList()
        : [];

    /// <summary>The newest complete checkpoint, or null.</summary>
    public CheckpointFolder? Latest => Checkpoints().LastOrDefault();

    /// <summary>
    /// Creates the folder and writes the run's config (<paramref name="trainConfigJson"/>), failing before any training
    /// when it cannot be written (read-only, a file in the way) or the disk is nearly full.
    /// </summary>
    public void Prepare(string trainConfigJson)
    {
        try
        {
            Directory.CreateDirectory(Root);
            var probe = Path.Combine(Root, $".write-test-{Environment.ProcessId}");
            AtomicFile.OpenWrite(probe, FileMode.Create).Dispose();
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HrmException($"{Root}: cannot write the run folder ({e.Message.Split('\n')[0].TrimEnd('.')})");
        }
        try
        {
            long free = new DriveInfo(Path.GetFullPath(Root)).AvailableFreeSpace;
            if (free < 64L << 20)
                throw new HrmException($"{Root}: only {free >> 20} MiB free on its disk; checkpoints need room");
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { }   // no drive information: rely on the writes' own errors
        AtomicFile.WriteAllText(TrainConfigPath, trainConfigJson);
    }
}

/// <summary>
/// A model folder: model.safetensors (the reference's tensor names, so the authors' code can load it) and config.json
/// (the model config in the reference's format). A training checkpoint, RUN/checkpoints/step_NNNNNNN of a
/// <see cref="RunFolder"/>, is a model folder that also holds train_config.json and, for resuming,
/// optimizer.safetensors and position.json. The step_N names of the authors' checkpoint files are read here too.
/// </summary>
public sealed record CheckpointFolder(string Root)
{
    public const string ModelFile = "model.safetensors";
    public const string ConfigFile = "config.json";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string PositionFile = "position.json";
    const string StepPrefix = "step_";
    /// <summary>The file-name pattern of step_N names, ours and the authors'.</summary>
    public const string StepPattern = StepPrefix + "*";

    public string ModelPath => Path.Combine(Root, ModelFile);
    public string ConfigPath => Path.Combine(Root, ConfigFile);
    public string TrainConfigPath => Path.Combine(Root, RunFolder.TrainConfigFile);
    public string OptimizerPath => Path.Combine(Root, OptimizerFile);
    public string PositionPath => Path.Combine(Root, PositionFile);

    /// <summary>Where the folder is written before it is renamed into place (step_NNNNNNN.tmp).</summary>
    public string TempPath => Root.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) + ".tmp";

    /// <summary>Model and config are there (a checkpoint is renamed into place only when complete).</summary>
    public bool IsComplete => File.Exists(ModelPath) && File.Exists(ConfigPath);

    /// <summary>N of a folder named step_N, else null.</summary>
    public long? Step => StepOf(Root);

    /// <summary>The folder holding the weights file <paramref name="weights"/>.</summary>
    public static CheckpointFolder Holding(string weights) => new(Path.GetDirectoryName(Path.GetFullPath(weights))!);

    /// <summary>The run folder above RUN/checkpoints/step_N, or null for a model folder elsewhere.</summary>
    public RunFolder? Run
    {
        get
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(Root).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
            var runRoot = parent is null ? null : Path.GetDirectoryName(parent);
            return runRoot is not null && new RunFolder(runRoot).CheckpointsPath == parent ? new RunFolder(runRoot) : null;
        }
    }

    /// <summary>The run's training configs for this checkpoint that exist, nearest first: the copy beside the weights
    /// (every checkpoint holds one), then the run folder's (the only one that records the data path).</summary>
    public IEnumerable<string> TrainConfigs()
    {
        if (File.Exists(TrainConfigPath)) yield return TrainConfigPath;
        if (Run is RunFolder run && File.Exists(run.TrainConfigPath)) yield return run.TrainConfigPath;
    }

    /// <summary>Our checkpoint folder's name for <paramref name="step"/>: step_NNNNNNN (seven digits or more).</summary>
    public static string NameOf(long step) => $"{StepPrefix}{step:D7}";

    /// <summary>The authors' checkpoint file name for <paramref name="step"/>: step_N, as their pretrain.py writes it.</summary>
    public static string ReferenceNameOf(long step) => $"{StepPrefix}{step}";

    /// <summary>N of a file or folder named step_N (ours, zero-padded, or the authors'), else null.</summary>
    public static long? StepOf(string path)
    {
        var name = Path.GetFileName(path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        return name.StartsWith(StepPrefix, StringComparison.Ordinal) && name.Length > StepPrefix.Length
            && name[StepPrefix.Length..].All(char.IsAsciiDigit) && long.TryParse(name[StepPrefix.Length..], out var n) ? n : null;
    }
}
