using Hrm.Interop;
using Hrm.Model;
using Hrm.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>
/// A training run in its folder, and the rules for starting one: <see cref="New"/> (fresh weights, or weights to start
/// from), <see cref="Resume"/> (from the latest checkpoint with the run's saved config), <see cref="ConfigBeside"/>
/// (the config that comes with weights to start from); <see cref="Train"/> then runs it through <see cref="Start"/>.
/// The CLI only maps its flags to these.
/// </summary>
public sealed class TrainingRun
{
    public RunFolder Folder { get; }
    public TrainConfig Config { get; }
    /// <summary>Continues from the folder's latest checkpoint (none yet: from step 0 with the saved config).</summary>
    public bool Resumes { get; }
    /// <summary>The weights the new model starts from (ours or the authors'), or null: fresh, or the run's own.</summary>
    public string? InitFrom { get; }

    TrainingRun(RunFolder folder, TrainConfig config, bool resumes, string? initFrom) =>
        (Folder, Config, Resumes, InitFrom) = (folder, config, resumes, initFrom);

    /// <summary>A new run of <paramref name="config"/> in <paramref name="runDir"/>, from fresh weights or from
    /// <paramref name="initFrom"/>'s (weights only). A folder that already holds a checkpoint is refused.</summary>
    public static TrainingRun New(TrainConfig config, string runDir, string? initFrom = null)
    {
        var folder = new RunFolder(runDir);
        if (folder.Latest is not null) throw new HrmException($"{runDir} already holds a run: resume it, or start the new run in another folder");
        return new TrainingRun(folder, config, resumes: false, initFrom);
    }

    /// <summary>
    /// Continues the run in <paramref name="runDir"/> with its saved config (and <paramref name="overrides"/>, key=value).
    /// A run stopped before its first checkpoint starts again from step 0, from the weights it was started from
    /// (RUN/init-from.txt) rather than a fresh initialisation; with a checkpoint, the run's own weights win.
    /// </summary>
    public static TrainingRun Resume(string runDir, IEnumerable<string>? overrides = null)
    {
        var folder = new RunFolder(runDir);
        if (!File.Exists(folder.TrainConfigPath)) throw new HrmException($"{runDir}: not a run folder (no {RunFolder.TrainConfigFile})");
        var config = TrainConfig.Load(folder.TrainConfigPath, overrides);
        var initFrom = folder.Latest is null && File.Exists(folder.InitFromPath) ? File.ReadAllText(folder.InitFromPath).Trim() : null;
        return new TrainingRun(folder, config, resumes: true, initFrom);
    }

    /// <summary>
    /// The training config that comes with weights to start from: our train_config.json beside them, else the authors'
    /// all_config.yaml beside them (mapped to ours, see Interop/ReferenceConfig.cs); <paramref name="overrides"/> applied.
    /// </summary>
    public static TrainConfig ConfigBeside(string weights, IEnumerable<string>? overrides = null)
    {
        var folder = CheckpointFolder.Holding(ModelStore.ResolveWeights(weights));
        if (File.Exists(folder.TrainConfigPath)) return TrainConfig.Load(folder.TrainConfigPath, overrides);
        var theirs = Path.Combine(folder.Root, ReferenceConfig.FileName);
        if (File.Exists(theirs)) return TrainConfig.Parse(ReferenceConfig.ToOurTrainJson(theirs), theirs, overrides);
        throw new HrmException($"{folder.Root}: no {ReferenceConfig.FileName} or {RunFolder.TrainConfigFile} beside the weights to start from: give a training config");
    }

    /// <summary>Runs it on the dataset <paramref name="dataDir"/> (see <see cref="Start"/>).</summary>
    public TrainResult Train(string dataDir, ITrainingObserver? observer = null, CancellationToken cancel = default)
    {
        if (!Resumes && InitFrom is not null)
        {
            // Remembered, so that a resume before the first checkpoint starts from the same weights.
            Directory.CreateDirectory(Folder.Root);
            AtomicFile.WriteAllText(Folder.InitFromPath, Path.GetFullPath(InitFrom) + "\n");
        }
        // Weights to start from go into the new model before the optimiser and the EMA shadow see them, as the authors
        // load a checkpoint before registering EMA; a resumed run keeps its own (from its latest checkpoint).
        Action<ActModel, ITrainingObserver>? initWeights = InitFrom is not string from ? null
            : (model, log) => log.OnInfo(ModelStore.InitializeFrom(model, from));
        return Start(Config, dataDir, Folder.Root, observer, Resumes, cancel, initWeights);
    }

    /// <summary>
    /// A training run from folders: sets the process-wide threads and seed, reads the dataset, builds the model for it
    /// (new, or with weights from <paramref name="initWeights"/>), and hands both to the <see cref="Trainer"/>, which
    /// with <paramref name="resume"/> continues from the run folder's latest checkpoint.
    /// </summary>
    public static TrainResult Start(TrainConfig config, string dataDir, string runDir, ITrainingObserver? observer = null,
        bool resume = false, CancellationToken cancel = default, Action<ActModel, ITrainingObserver>? initWeights = null)
    {
        var run = new RunFolder(runDir);
        var data = TrainingData.Load(dataDir);
        TorchRuntime.Configure(config.Threads);
        var device = TorchRuntime.ParseDevice(config.Device);
        manual_seed(config.Seed);
        var log = observer ?? new TrainingObservers([]);
        var modelConfig = config.ModelConfig(data.Train.Metadata);
        // The one place forward_dtype is decided for a run: "auto" becomes bfloat16 only where it is native and a probe
        // of this model's own training step at its batch finds it faster by PrecisionProbe.Decide (both timings logged);
        // the decision is kept in RUN/precision.json for this machine, shape and batch, so a resume does not decide
        // again. An explicit bfloat16 that is emulated here warns. The model runs, and its checkpoints record, the
        // resolved dtype.
        string requested = modelConfig.ForwardDtype;
        var precision = ModelPrecision.ForTraining(requested, modelConfig, device, config.MicroBatchSize,
            run.PrecisionPath, message => { if (requested == "auto") log.OnInfo(message); else log.OnWarning(message); });
        modelConfig = modelConfig with { ForwardDtype = precision.Dtype };
        using var model = new ActModel(modelConfig, new Generator((ulong)config.Seed));
        initWeights?.Invoke(model, log);
        model.to(device);
        return new Trainer(config, run, log).Run(model, data, resume, cancel);
    }
}
