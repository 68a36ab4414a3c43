using Hrm.Model;
using Hrm.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>
/// A training run from folders, as `hrm train` starts one: sets the process-wide threads and seed, reads the dataset,
/// builds the model for it (new, or with weights from <paramref name="initWeights"/>), and hands both to the
/// <see cref="Trainer"/>.
/// </summary>
public static class TrainingRun
{
    public static TrainResult Start(TrainConfig config, string dataDir, string runDir, ITrainingObserver? observer = null,
        bool resume = false, CancellationToken cancel = default, Action<ActModel, ITrainingObserver>? initWeights = null)
    {
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
            Path.Combine(runDir, PrecisionProbe.CacheFile), message => { if (requested == "auto") log.OnInfo(message); else log.OnWarning(message); });
        modelConfig = modelConfig with { ForwardDtype = precision.Dtype };
        using var model = new ActModel(modelConfig, new Generator((ulong)config.Seed));
        initWeights?.Invoke(model, log);
        model.to(device);
        return new Trainer(config, new RunFolder(runDir), log).Run(model, data, resume, cancel);
    }
}
