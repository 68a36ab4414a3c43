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
        if (modelConfig.ForwardDtype == "bfloat16" && device.type == DeviceType.CPU && !CpuFeatures.HasNativeBf16)
            log.OnWarning("this CPU has no native bfloat16 (AVX-512 BF16/AMX); bfloat16 is emulated and much slower than float32 here: consider arch.forward_dtype float32");
        using var model = new ActModel(modelConfig, new Generator((ulong)config.Seed));
        initWeights?.Invoke(model, log);
        model.to(device);
        return new Trainer(config, new RunFolder(runDir), log).Run(model, data, resume, cancel);
    }
}
