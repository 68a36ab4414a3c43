using System.Collections.Concurrent;
using System.Diagnostics;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Model;
using Hrm.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>A logged training step: metrics as the reference logs them (losses / batch size, the rest / count).</summary>
public sealed record TrainProgress(long Step, long TotalSteps, double Lr, SegmentMetrics Sums, int BatchSize,
    double StepsPerSecond, double ExamplesPerSecond, TimeSpan Elapsed, TimeSpan? Eta)
{
    /// <summary>Time to the end of the run: whichever comes first, the remaining steps at the current rate or the time
    /// left under <c>max_minutes</c> (never negative, never past what a TimeSpan holds).</summary>
    public static TimeSpan EstimateEta(long remainingSteps, double stepsPerSecond, TimeSpan elapsed, double? maxMinutes)
    {
        double seconds = Math.Min(Math.Max(remainingSteps, 0) / Math.Max(stepsPerSecond, 1e-9), TimeSpan.MaxValue.TotalSeconds / 2);
        if (maxMinutes is double mm) seconds = Math.Min(seconds, Math.Max(mm * 60 - elapsed.TotalSeconds, 0));
        return TimeSpan.FromSeconds(seconds);
    }

    double Count => Math.Max(Sums.Count, 1);
    public double LmLoss => Sums.LmLoss / BatchSize;
    public double QHaltLoss => Sums.QHaltLoss / BatchSize;
    public double QContinueLoss => Sums.QContinueLoss / BatchSize;
    public double TokenAccuracy => Sums.Accuracy / Count;
    public double ExactAccuracy => Sums.ExactAccuracy / Count;
    public double QHaltAccuracy => Sums.QHaltAccuracy / Count;
    public double MeanSteps => Sums.Steps / Count;

    /// <summary>The logged scalars under the reference's names.</summary>
    public IEnumerable<(string Name, double Value)> Scalars() =>
    [
        ("train/lm_loss", LmLoss), ("train/q_halt_loss", QHaltLoss), ("train/q_continue_loss", QContinueLoss),
        ("train/accuracy", TokenAccuracy), ("train/exact_accuracy", ExactAccuracy), ("train/q_halt_accuracy", QHaltAccuracy),
        ("train/steps", MeanSteps), ("train/lr", Lr), ("train/examples_per_s", ExamplesPerSecond),
    ];
}

public sealed record EvalReport(long Step, IReadOnlyDictionary<string, SetMetrics> Sets, bool Final)
{
    /// <summary>Wall time of the run when the evaluation finished.</summary>
    public TimeSpan Elapsed { get; init; }
}

/// <summary>Receives what a training run reports; the CLI renders it, the run's logs write it, tests ignore it.</summary>
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
    readonly ITrainingObserver user;

    public Trainer(TrainConfig config, string dataDir, string runDir, ITrainingObserver? observer = null)
    {
        this.config = config;
        this.dataDir = dataDir;
        this.runDir = runDir;
        user = observer ?? new TrainingObservers([]);
    }

    /// <summary>The dataset as training sees it: the train set, the test sets (read once) and the model config for them.</summary>
    sealed record Data(PuzzleSet Train, IReadOnlyList<PuzzleSet> Test, ModelConfig Model, DatasetMetadata TrainMeta);

    Data LoadData()
    {
        if (!Directory.Exists(dataDir)) throw new HrmException($"{dataDir}: data directory not found");
        var trainMeta = PuzzleDatasetDirectory.ReadMetadata(dataDir, "train");
        var test = PuzzleSet.ReadAll(dataDir, "test");
        if (test.Count == 0) throw new HrmException($"{dataDir}: the test split has no sets");
        var testMeta = test[0].Metadata;
        if (testMeta.VocabSize != trainMeta.VocabSize || testMeta.SeqLen != trainMeta.SeqLen)
            throw new HrmException($"{dataDir}: train and test splits disagree on vocab_size/seq_len");
        var modelConfig = config.ModelConfig(trainMeta);
        return new Data(PuzzleSet.Read(dataDir, "train", trainMeta), test, modelConfig, trainMeta);
    }

    public TrainResult Run(bool resume = false, CancellationToken cancel = default)
    {
        var data = LoadData();
        TorchRuntime.Configure(config.Threads);
        var device = TorchRuntime.ParseDevice(config.Device);
        manual_seed(config.Seed);
        PrepareRunDirectory(resume);

        using var jsonl = new JsonlMetricsLog(Path.Combine(runDir, "metrics.jsonl"), append: resume);
        var observer = new TrainingObservers([user, jsonl, new TensorBoardLog(Path.Combine(runDir, "tensorboard"))]);
        // forward_dtype auto: a short probe on this device picks bfloat16 only where it is native and faster (logged);
        // an explicit bfloat16 that is emulated here warns with the measured slowdown. The model runs (and its
        // checkpoints record) the resolved dtype.
        var precision = PrecisionProbe.Resolve(data.Model.ForwardDtype, device, observer.OnStart);
        var modelConfig = data.Model with { ForwardDtype = precision.Dtype };

        using var model = new ActModel(modelConfig, new Generator((ulong)config.Seed));
        model.to(device);
        long referenceTotal = (long)(config.Epochs * data.TrainMeta.TotalGroups * data.TrainMeta.MeanPuzzleExamples / config.GlobalBatchSize);
        long totalSteps = config.MaxSteps ?? referenceTotal;
        using var state = new TrainState(model, config.Optimizer, totalSteps, new Generator((ulong)config.Seed + 1, device))
        {
            MicroBatchSize = config.MicroBatchSize,
        };

        var position = new RunPosition(0, totalSteps, 0, 0);
        if (resume && Checkpoint.Latest(runDir) is null)
        {
            // Killed before its first checkpoint: nothing to continue, so the run starts again with its saved config.
            observer.OnStart($"{runDir}: nothing to resume (no checkpoint yet): starting from step 0 with the run's saved config");
            resume = false;
        }
        if (resume)
        {
            var latest = Checkpoint.Latest(runDir)!;
            position = Checkpoint.Restore(latest, state);
            state.Step = position.Step;
            observer.OnStart($"resumed from {latest} at step {position.Step}");
        }

        long epochsPerIteration = config.EvalInterval ?? config.Epochs;
        var sampler = new TrainSampler(data.Train, config.GlobalBatchSize, config.Seed, (int)Math.Min(epochsPerIteration, 1_000_000));
        observer.OnStart($"model: {modelConfig.Architecture.Name}, {model.parameters().Sum(p => p.numel()):N0} parameters, {Describe(modelConfig)}; " +
                         $"{totalSteps:N0} steps of batch {config.GlobalBatchSize}");

        var clock = Stopwatch.StartNew();
        double elapsedBefore = position.ElapsedSeconds;
        TimeSpan Elapsed() => TimeSpan.FromSeconds(elapsedBefore + clock.Elapsed.TotalSeconds);
        long batches = position.BatchesConsumed;
        EvalReport? lastEval = null;
        string? lastCheckpoint = null;
        long savedStep = -1;   // the step of lastCheckpoint
        bool stopped = false;
        var window = new LogWindow();
        long skippedSteps = 0;
        NonFiniteException? nonFinite = null;
        int lastIteration = -1;

        void Save()
        {
            if (savedStep == state.Step) return;
            try { lastCheckpoint = Checkpoint.Save(runDir, state, config, new RunPosition(state.Step, totalSteps, batches, Elapsed().TotalSeconds)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var good = lastCheckpoint ?? Checkpoint.Latest(runDir);
                throw new HrmException($"step {state.Step}: writing the checkpoint failed ({e.Message.Split('\n')[0].TrimEnd('.')})" +
                    (good is not null ? $"; the earlier checkpoint {good} is intact" : ""));
            }
            savedStep = state.Step;
            observer.OnCheckpoint(lastCheckpoint);
        }

        void Evaluate(bool final)
        {
            var opts = new EvalOptions { BatchSize = config.GlobalBatchSize, MaxExamples = final ? config.FinalEvalMaxExamples : config.EvalMaxExamples, Device = device };
            Dictionary<string, SetMetrics> sets;
            using (state.EvaluationWeights()) sets = Evaluator.Evaluate(model, data.Test, opts);
            lastEval = new EvalReport(state.Step, sets, final) { Elapsed = Elapsed() };
            observer.OnEvaluation(lastEval);
            // The reference saves a checkpoint at every evaluation when checkpoint_every_eval is set (its default).
            if (config.CheckpointEveryEval && !final) Save();
        }

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

        try
        {
            while (state.Step < totalSteps)
            {
                if (cancel.IsCancellationRequested) { stopped = true; break; }
                if (config.MaxMinutes is double mm && Elapsed().TotalMinutes >= mm) { stopped = true; break; }
                var (iteration, host) = queue.Take(cancel);
                batches++;
                if (lastIteration != -1 && iteration != lastIteration && config.EvalInterval is not null) Evaluate(false);
                lastIteration = iteration;

                using var scope = NewDisposeScope();
                ActLossResult? loss;
                bool skipped;
                try { loss = state.TrainBatch(ToDevice(host, device), config.NanPolicy == "skip", out skipped); if (skipped) skippedSteps++; }
                catch (NonFiniteException e)
                {
                    // Nothing newer than the last good checkpoint is written.
                    nonFinite = e;
                    break;
                }
                if (loss is null) break;
                if (skippedSteps > 0 && state.Step % config.LogEverySteps == 0)
                    observer.OnStart($"step {state.Step}: {skippedSteps} step(s) skipped so far for a non-finite loss or gradient");
                if (!skipped) window.Add(loss.ToMetrics());
                if (state.Step % config.LogEverySteps == 0 || state.Step == totalSteps)
                {
                    var progress = window.Progress(state.Step, totalSteps, state.LearningRate(config.Lr), config.GlobalBatchSize, Elapsed(), config.MaxMinutes);
                    observer.OnStep(progress);
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

        if (nonFinite is not null)
        {
            var good = lastCheckpoint ?? Checkpoint.Latest(runDir);
            throw new HrmException(nonFinite.Message + (good is not null ? $"; the last good checkpoint is {good}" : "; no checkpoint was written"));
        }
        Save();
        if (!cancel.IsCancellationRequested) Evaluate(final: true);
        return new TrainResult(state.Step, Elapsed(), lastEval, lastCheckpoint, stopped);
    }

    /// <summary>
    /// Creates the run folder and writes its config, failing before any training when the folder cannot be written
    /// (read-only, a file in the way) or the disk is nearly full.
    /// </summary>
    void PrepareRunDirectory(bool resume)
    {
        try
        {
            Directory.CreateDirectory(runDir);
            var probe = Path.Combine(runDir, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HrmException($"{runDir}: cannot write the run folder ({e.Message.Split('\n')[0].TrimEnd('.')}); choose another --out");
        }
        try
        {
            long free = new DriveInfo(Path.GetFullPath(runDir)).AvailableFreeSpace;
            if (free < 64L << 20)
                throw new HrmException($"{runDir}: only {free >> 20} MiB free on its disk; checkpoints need room (free some space or choose another --out)");
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { }   // no drive information: rely on the writes' own errors
        var configPath = Path.Combine(runDir, Checkpoint.TrainConfigFile);
        var tmp = configPath + ".tmp";
        File.WriteAllText(tmp, (config with { DataPath = Path.GetFullPath(dataDir) }).ToJson());
        File.Move(tmp, configPath, overwrite: true);
    }

    static string Describe(ModelConfig c) =>
        $"{c.HLayers}+{c.LLayers} layers, hidden {c.HiddenSize}, {c.HCycles}x{c.LCycles} cycles, halt_max_steps {c.HaltMaxSteps}, {c.ForwardDtype}";

    /// <summary>Step metrics accumulated between two log lines, averaged per step when logged.</summary>
    sealed class LogWindow
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        long steps;
        SegmentMetrics sums = SegmentMetrics.Zero;

        public void Add(SegmentMetrics m) { sums = sums.Add(m); steps++; }

        public TrainProgress Progress(long step, long totalSteps, double lr, int batchSize, TimeSpan elapsed, double? maxMinutes)
        {
            double sps = steps / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            var avg = sums with { LmLoss = sums.LmLoss / steps, QHaltLoss = sums.QHaltLoss / steps, QContinueLoss = sums.QContinueLoss / steps };
            var progress = new TrainProgress(step, totalSteps, lr, avg, batchSize, sps, sps * batchSize, elapsed,
                TrainProgress.EstimateEta(totalSteps - step, sps, elapsed, maxMinutes));
            clock.Restart(); steps = 0; sums = SegmentMetrics.Zero;
            return progress;
        }
    }

    public static PuzzleBatch ToDevice(HostBatch b, Device device) => new(
        tensor(b.Inputs, [b.Rows, b.SeqLen], device: device).to(int64),
        tensor(b.Labels, [b.Rows, b.SeqLen], device: device).to(int64),
        tensor(b.PuzzleIds, [b.Rows], device: device).to(int64));
}
