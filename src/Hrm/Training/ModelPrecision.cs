using System.Security.Cryptography;
using System.Text;
using Hrm.Evaluation;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>
/// <c>forward_dtype: auto</c> decided on the model's own work (<see cref="PrecisionProbe"/>): the trainer and
/// `hrm bench train` time training steps of the model about to train at its batch size; `hrm eval`, `hrm serve` and
/// `hrm bench infer` time no-gradient segments at the inference batch. The timed models are throwaway copies of the
/// same shape with random weights and random tokens (a step's cost does not depend on the values).
/// </summary>
public static class ModelPrecision
{
    public const string TrainingWork = "training step";
    public const string InferenceWork = "inference segment";

    /// <summary>Resolves <paramref name="requested"/> for training <paramref name="config"/> (its batch_size rows per
    /// step) on <paramref name="device"/>; with <paramref name="cachePath"/> (RUN/precision.json) a decision made
    /// before for this machine, shape and batch is reused.</summary>
    public static PrecisionChoice ForTraining(string requested, ModelConfig config, Device device, int? microBatch = null,
        string? cachePath = null, Action<string>? log = null) =>
        PrecisionProbe.Resolve(requested, device, TrainingWork, ShapeKey(config, config.BatchSize, microBatch),
            dt => new TrainStepWork(config with { ForwardDtype = Name(dt) }, config.BatchSize, device, microBatch), cachePath, log);

    /// <summary>Resolves <paramref name="requested"/> for inference of <paramref name="config"/> at <paramref name="batch"/> rows.</summary>
    public static PrecisionChoice ForInference(string requested, ModelConfig config, int batch, Device device,
        string? cachePath = null, Action<string>? log = null) =>
        PrecisionProbe.Resolve(requested, device, InferenceWork, ShapeKey(config, batch, null),
            dt => new InferenceSegmentWork(config with { ForwardDtype = Name(dt) }, batch, device), cachePath, log);

    static string Name(ScalarType dt) => dt == ScalarType.BFloat16 ? "bfloat16" : "float32";

    /// <summary>The model shape (every config field but forward_dtype) and the batch, as a cache key: a short summary
    /// and a hash of the whole config.</summary>
    public static string ShapeKey(ModelConfig config, int batch, int? microBatch)
    {
        var json = ConfigJson.ToJson(config with { ForwardDtype = "float32", BatchSize = batch });
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16].ToLowerInvariant();
        return $"{config.Architecture.Name} hidden {config.HiddenSize} seq {config.SeqLen} batch {batch}" +
               (microBatch is int m && m < batch ? $" micro {m}" : "") + $" config {hash}";
    }

    /// <summary>Random batches of a model's shape (inputs and labels in [1, vocab), puzzle ids in range), made once.</summary>
    internal static PuzzleBatch[] RandomBatches(ModelConfig cfg, int batch, Device device, int count, ulong seed = 1)
    {
        var rng = new Generator(seed);
        return Enumerable.Range(0, count).Select(_ => new PuzzleBatch(
            randint(1, cfg.VocabSize, [batch, cfg.SeqLen], generator: rng, dtype: int64).to(device).DetachFromDisposeScope(),
            randint(1, cfg.VocabSize, [batch, cfg.SeqLen], generator: rng, dtype: int64).to(device).DetachFromDisposeScope(),
            randint(0, cfg.NumPuzzleIdentifiers, [batch], generator: rng, dtype: int64).to(device).DetachFromDisposeScope())).ToArray();
    }
}

/// <summary>One optimiser step (one ACT segment with the Q-target forward, backward, sign-SGD and Adam-atan2) of a
/// fresh model of <paramref name="config"/>'s shape on random batches: what the precision probe and `hrm bench train` time.</summary>
public sealed class TrainStepWork : ITimedWork
{
    readonly ActModel model;
    readonly TrainState state;
    readonly PuzzleBatch[] batches;
    int next;

    public TrainStepWork(ModelConfig config, int batch, Device device, int? microBatch = null)
    {
        model = new ActModel(config with { BatchSize = batch }, new Generator(0));
        model.to(device);
        state = new TrainState(model, new OptimizerSettings { LrWarmupSteps = 0 }, long.MaxValue, new Generator(2, device)) { MicroBatchSize = microBatch };
        batches = ModelPrecision.RandomBatches(model.Config, batch, device, 4);
    }

    public ActModel Model => model;

    public void Run()
    {
        using var scope = NewDisposeScope();
        _ = state.TrainBatch(batches[next++ % batches.Length])!.ToMetrics();   // a host copy: synchronises (CUDA)
    }

    public void Dispose()
    {
        state.Dispose();
        model.Dispose();
        foreach (var b in batches) { b.Inputs.Dispose(); b.Labels.Dispose(); b.PuzzleIds.Dispose(); }
    }
}

/// <summary>One no-gradient segment of a fresh model of <paramref name="config"/>'s shape on a random batch, through
/// the library's inference loop (the loop `hrm eval` and `hrm serve` run).</summary>
public sealed class InferenceSegmentWork : ITimedWork
{
    readonly ActModel model;
    readonly PuzzleBatch batch;

    public InferenceSegmentWork(ModelConfig config, int batch, Device device)
    {
        model = new ActModel(config with { BatchSize = batch }, new Generator(0));
        model.to(device);
        model.eval();
        this.batch = ModelPrecision.RandomBatches(model.Config, batch, device, 1)[0];
    }

    public void Run()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Inference.Run(model, batch.Inputs, batch.PuzzleIds, HaltPolicy.Full, maxSegments: 1);   // results are copied to the host
    }

    public void Dispose()
    {
        model.Dispose();
        batch.Inputs.Dispose(); batch.Labels.Dispose(); batch.PuzzleIds.Dispose();
    }
}
