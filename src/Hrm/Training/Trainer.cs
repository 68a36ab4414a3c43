using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>A logged training step: metrics as the reference logs them (losses / batch size, the rest / count).</summary>
public sealed record TrainProgress(long Step, long TotalSteps, double Lr, SegmentMetrics Sums, int BatchSize,
    double StepsPerSecond, double ExamplesPerSecond, TimeSpan Elapsed, TimeSpan? Eta)
{
    double Count => Math.Max(Sums.Count, 1);
    public double LmLoss => Sums.LmLoss / BatchSize;
    public double QHaltLoss => Sums.QHaltLoss / BatchSize;
    public double QContinueLoss => Sums.QContinueLoss / BatchSize;
    public double TokenAccuracy => Sums.Accuracy / Count;
    public double ExactAccuracy => Sums.ExactAccuracy / Count;
    public double QHaltAccuracy => Sums.QHaltAccuracy / Count;
    public double MeanSteps => Sums.Steps / Count;
}

public sealed record EvalReport(long Step, IReadOnlyDictionary<string, SetMetrics> Sets, bool Final);

/// <summary>Receives what a training run reports; the CLI renders it, tests ignore it.</summary>
public interface ITrainingObserver
{
    void OnStart(string message) { }
    void OnStep(TrainProgress progress) { }
    void OnEvaluation(EvalReport report) { }
    void OnCheckpoint(string path) { }
}

public sealed record TrainResult(long Steps, TimeSpan Elapsed, EvalReport? LastEvaluation, string? LastCheckpoint, bool Stopped);

/// <summary>
/// The training loop (the reference's pretrain.py as a library API): builds the model for a dataset, trains one ACT
/// segment per step with the carry kept across batches, evaluates periodically on the test split, logs metrics to
/// RUN/metrics.jsonl and TensorBoard (RUN/tensorboard), writes checkpoints, and resumes from the latest one exactly.
/// </summary>
public sealed class Trainer
{
    readonly TrainConfig config;
    readonly string dataDir, runDir;
    readonly ITrainingObserver observer;

    public Trainer(TrainConfig config, string dataDir, string runDir, ITrainingObserver? observer = null)
    {
        this.config = config;
        this.dataDir = dataDir;
        this.runDir = runDir;
        this.observer = observer ?? new NullObserver();
    }

    sealed class NullObserver : ITrainingObserver { }

    /// <summary>cpu, cuda or cuda:N: the names this tool accepts (libtorch knows more, none of which it can run here).</summary>
    public static bool IsDeviceName(string? device) =>
        device is "cpu" or "cuda" || (device is not null && System.Text.RegularExpressions.Regex.IsMatch(device, @"^cuda:[0-9]{1,3}$"));

    public static Device ParseDevice(string device)
    {
        if (!IsDeviceName(device)) throw new HrmException($"unknown device '{device}': expected cpu, cuda or cuda:N");
        if (device.StartsWith("cuda") && !cuda.is_available())
            throw new HrmException($"device '{device}' requested but CUDA is not available (this build uses the CPU libtorch; see README, CUDA)");
        return new Device(device);
    }

    public TrainResult Run(bool resume = false, CancellationToken cancel = default)
    {
        if (!Directory.Exists(dataDir)) throw new HrmException($"{dataDir}: data directory not found");
        var trainMeta = PuzzleDatasetDirectory.ReadMetadata(dataDir, "train");
        var testMeta = PuzzleDatasetDirectory.ReadMetadata(dataDir, "test");
        var modelConfig = config.ModelConfig(trainMeta);
        if (testMeta.VocabSize != trainMeta.VocabSize || testMeta.SeqLen != trainMeta.SeqLen)
            throw new HrmException($"{dataDir}: train and test splits disagree on vocab_size/seq_len");
        var trainSet = new SplitSet("all", PuzzleDatasetDirectory.ReadSet(dataDir, "train", trainMeta.Sets[0]), trainMeta);

        NativeAllocator.Tune();
        set_num_threads(config.Threads > 0 ? config.Threads : Environment.ProcessorCount);
        var device = ParseDevice(config.Device);
        manual_seed(config.Seed);
        Directory.CreateDirectory(runDir);
        File.WriteAllText(Path.Combine(runDir, Checkpoint.TrainConfigFile), (config with { DataPath = Path.GetFullPath(dataDir) }).ToJson());

        if (modelConfig.ForwardDtype == "bfloat16" && device.type == DeviceType.CPU && !CpuFeatures.HasNativeBf16)
            observer.OnStart("warning: this CPU has no native bfloat16 (AVX-512 BF16/AMX); bfloat16 is emulated and much slower than float32 here: consider --set arch.forward_dtype=float32");
        var initGenerator = new Generator((ulong)config.Seed);
        using var model = new ActModel(modelConfig, initGenerator);
        model.to(device);
        long referenceTotal = (long)(config.Epochs * trainMeta.TotalGroups * trainMeta.MeanPuzzleExamples / config.GlobalBatchSize);
        long totalSteps = config.MaxSteps ?? referenceTotal;
        using var state = new TrainState(model, config.Optimizer, totalSteps, new Generator((ulong)config.Seed + 1, device))
        {
            MicroBatchSize = config.MicroBatchSize,
        };

        var position = new RunPosition(0, totalSteps, 0, 0);
        if (resume)
        {
            var latest = Checkpoint.Latest(runDir) ?? throw new HrmException($"{runDir}: nothing to resume (no checkpoint)");
            position = Checkpoint.Restore(latest, state);
            state.Step = position.Step;
            observer.OnStart($"resumed from {latest} at step {position.Step}");
        }

        long epochsPerIteration = config.EvalInterval ?? config.Epochs;
        var sampler = new TrainSampler(trainSet, config.GlobalBatchSize, config.Seed, (int)Math.Min(epochsPerIteration, 1_000_000));
        observer.OnStart($"model: {model.parameters().Sum(p => p.numel()):N0} parameters, {modelConfig.HLayers}+{modelConfig.LLayers} layers, hidden {modelConfig.HiddenSize}, " +
                         $"{modelConfig.HCycles}x{modelConfig.LCycles} cycles, halt_max_steps {modelConfig.HaltMaxSteps}, {modelConfig.ForwardDtype}; {totalSteps:N0} steps of batch {config.GlobalBatchSize}");

        using var log = new StreamWriter(Path.Combine(runDir, "metrics.jsonl"), append: resume);
        var tb = utils.tensorboard.SummaryWriter(Path.Combine(runDir, "tensorboard"));

        var clock = Stopwatch.StartNew();
        double elapsedBefore = position.ElapsedSeconds;
        long batches = position.BatchesConsumed;
        EvalReport? lastEval = null;
        string? lastCheckpoint = null;
        long savedStep = -1;   // the step of lastCheckpoint
        bool stopped = false;
        var window = Stopwatch.StartNew();
        long windowSteps = 0;
        SegmentMetrics windowSums = SegmentMetrics.Zero;
        int lastIteration = -1;

        // Batches are prepared on a background thread so the step never waits for the sampler.
        using var queue = new BlockingCollection<(int Iteration, HostBatch Batch)>(boundedCapacity: 4);
        using var producerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var producer = Task.Run(() =>
        {
            try
            {
                foreach (var item in sampler.Batches(batches))
                    queue.Add(item, producerCancel.Token);
            }
            catch (OperationCanceledException) { }
            finally { queue.CompleteAdding(); }
        });

        void Evaluate(bool final)
        {
            var opts = new EvalOptions { BatchSize = config.GlobalBatchSize, MaxExamples = final ? null : config.EvalMaxExamples, Device = device };
            var sets = Evaluator.Evaluate(model, dataDir, opts);
            lastEval = new EvalReport(state.Step, sets, final);
            foreach (var (name, m) in sets)
            {
                log.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["kind"] = "eval", ["step"] = state.Step, ["set"] = name, ["count"] = m.Count, ["exact_accuracy"] = m.ExactAccuracy,
                    ["token_accuracy"] = m.TokenAccuracy, ["mean_segments"] = m.MeanSegments, ["q_halt_accuracy"] = m.QHaltAccuracy,
                    ["elapsed_s"] = elapsedBefore + clock.Elapsed.TotalSeconds,
                }));
                tb.add_scalar($"eval/{name}/exact_accuracy", (float)m.ExactAccuracy, (int)state.Step);
                tb.add_scalar($"eval/{name}/token_accuracy", (float)m.TokenAccuracy, (int)state.Step);
                tb.add_scalar($"eval/{name}/mean_segments", (float)m.MeanSegments, (int)state.Step);
            }
            log.Flush();
            observer.OnEvaluation(lastEval);
        }

        void Save()
        {
            lastCheckpoint = Checkpoint.Save(runDir, state, config, new RunPosition(state.Step, totalSteps, batches, elapsedBefore + clock.Elapsed.TotalSeconds));
            savedStep = state.Step;
            observer.OnCheckpoint(lastCheckpoint);
        }

        try
        {
            while (state.Step < totalSteps)
            {
                if (cancel.IsCancellationRequested) { stopped = true; break; }
                if (config.MaxMinutes is double mm && elapsedBefore + clock.Elapsed.TotalSeconds >= mm * 60) { stopped = true; break; }
                var (iteration, host) = queue.Take(cancel);
                batches++;
                if (lastIteration != -1 && iteration != lastIteration && config.EvalInterval is not null) Evaluate(false);
                lastIteration = iteration;

                using var scope = NewDisposeScope();
                var batch = ToDevice(host, device);
                var sums = state.TrainBatch(batch);
                if (sums is null) break;
                windowSteps++;
                bool logNow = state.Step % config.LogEverySteps == 0 || state.Step == totalSteps;
                windowSums = windowSums.Add(ActLoss.ToMetrics(sums));
                if (logNow)
                {
                    double secs = window.Elapsed.TotalSeconds;
                    double sps = windowSteps / Math.Max(secs, 1e-9);
                    var avg = new SegmentMetrics(windowSums.Count, windowSums.Accuracy, windowSums.ExactAccuracy, windowSums.QHaltAccuracy, windowSums.Steps,
                        windowSums.LmLoss / windowSteps, windowSums.QHaltLoss / windowSteps, windowSums.QContinueLoss / windowSteps);
                    var lr = state.LearningRate(config.Lr);
                    var progress = new TrainProgress(state.Step, totalSteps, lr, avg, config.GlobalBatchSize, sps, sps * config.GlobalBatchSize,
                        TimeSpan.FromSeconds(elapsedBefore + clock.Elapsed.TotalSeconds), TimeSpan.FromSeconds((totalSteps - state.Step) / Math.Max(sps, 1e-9)));
                    WriteStep(log, tb, progress);
                    observer.OnStep(progress);
                    window.Restart(); windowSteps = 0; windowSums = SegmentMetrics.Zero;
                }
                if (config.EvalEverySteps is long every && state.Step % every == 0 && state.Step < totalSteps) Evaluate(false);
                if (config.CheckpointEverySteps is long ck && state.Step % ck == 0) Save();
            }
        }
        catch (OperationCanceledException) { stopped = true; }
        finally
        {
            producerCancel.Cancel();
            try { producer.Wait(); } catch (AggregateException) { }
        }

        if (savedStep != state.Step) Save();
        if (!cancel.IsCancellationRequested) Evaluate(final: true);
        return new TrainResult(state.Step, TimeSpan.FromSeconds(elapsedBefore + clock.Elapsed.TotalSeconds), lastEval, lastCheckpoint, stopped);
    }

    static void WriteStep(StreamWriter log, TorchSharp.Modules.SummaryWriter tb, TrainProgress p)
    {
        var values = new Dictionary<string, double>
        {
            ["train/lm_loss"] = p.LmLoss, ["train/q_halt_loss"] = p.QHaltLoss, ["train/q_continue_loss"] = p.QContinueLoss,
            ["train/accuracy"] = p.TokenAccuracy, ["train/exact_accuracy"] = p.ExactAccuracy, ["train/q_halt_accuracy"] = p.QHaltAccuracy,
            ["train/steps"] = p.MeanSteps, ["train/lr"] = p.Lr, ["train/examples_per_s"] = p.ExamplesPerSecond,
        };
        var record = new Dictionary<string, object> { ["kind"] = "train", ["step"] = p.Step, ["elapsed_s"] = p.Elapsed.TotalSeconds };
        foreach (var (k, v) in values) { record[k] = v; tb.add_scalar(k, (float)v, (int)p.Step); }
        log.WriteLine(JsonSerializer.Serialize(record));
        log.Flush();
    }

    public static PuzzleBatch ToDevice(HostBatch b, Device device) => new(
        tensor(b.Inputs, [b.Rows, b.SeqLen], device: device).to(int64),
        tensor(b.Labels, [b.Rows, b.SeqLen], device: device).to(int64),
        tensor(b.PuzzleIds, [b.Rows], device: device).to(int64));
}
