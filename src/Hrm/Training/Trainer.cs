using System.Collections.Concurrent;
using System.Diagnostics;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Interop;
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
    /// <summary>A line of information (the model, a resume, the dtype chosen).</summary>
    void OnInfo(string message) { }
    /// <summary>Something the user should act on (an emulated bfloat16, skipped steps); the run goes on.</summary>
    void OnWarning(string message) { }
    void OnStep(TrainProgress progress) { }
    void OnEvaluation(EvalReport report) { }
    void OnCheckpoint(string path) { }
}

public sealed record TrainResult(long Steps, TimeSpan Elapsed, EvalReport? LastEvaluation, string? LastCheckpoint, bool Stopped);

/// <summary>The puzzle sets a run trains and evaluates on: in memory, from a dataset folder or built by code.
/// <see cref="Train"/> fixes the model's seq_len; <see cref="OtherSizes"/> are training sets of the same task at other
/// grid sizes, trained on together with it (each batch holds one size), for a model whose weights fit any size.</summary>
public sealed record TrainingData(PuzzleSet Train, IReadOnlyList<PuzzleSet> Test, string? Source = null)
{
    /// <summary>Training sets at other grid sizes (larger seq_len than <see cref="Train"/>'s, one per size); empty for
    /// a run on one size.</summary>
    public IReadOnlyList<PuzzleSet> OtherSizes { get; init; } = [];

    /// <summary>Every training set: <see cref="Train"/> first, then <see cref="OtherSizes"/>.</summary>
    public IReadOnlyList<PuzzleSet> AllTrain => [Train, .. OtherSizes];

    /// <summary>
    /// A dataset folder's train split and test sets, checked to agree on vocabulary and sequence length; or a folder
    /// of dataset folders of one task at several grid sizes (<see cref="PuzzleDatasetDirectory.Parts"/>): the smallest
    /// grid's train split is <see cref="Train"/>, the others' <see cref="OtherSizes"/>, and every part's test sets are
    /// evaluated, each named by its part.
    /// </summary>
    public static TrainingData Load(string dataDir)
    {
        if (!Directory.Exists(dataDir)) throw new HrmException($"{dataDir}: data directory not found");
        var parts = PuzzleDatasetDirectory.Parts(dataDir);
        var train = parts.Select(p =>
        {
            var set = PuzzleSet.Read(p, "train", PuzzleDatasetDirectory.ReadMetadata(p, "train"));
            return parts.Count == 1 ? set : set with { Name = Path.GetFileName(p), Part = Path.GetFileName(p) };
        }).ToList();
        var test = PuzzleSet.ReadAll(dataDir, "test");
        return new TrainingData(train[0], test, Path.GetFullPath(dataDir)) { OtherSizes = train.Skip(1).ToList() }.Checked();
    }

    public TrainingData Checked()
    {
        var where = Source ?? "training data";
        if (Test.Count == 0) throw new HrmException($"{where}: the test split has no sets");
        var train = AllTrain;
        string Name(PuzzleSet s) => s.Part != "" ? s.Part : s.Name;
        foreach (var t in OtherSizes)
        {
            if (t.Metadata.VocabSize != Train.Metadata.VocabSize || t.Metadata.Task != Train.Metadata.Task)
                throw new HrmException($"{where}: the parts {Name(Train)} and {Name(t)} disagree on vocab_size/task (a dataset of several sizes holds one task)");
            if (t.Metadata.NumPuzzleIdentifiers > 1 || Train.Metadata.NumPuzzleIdentifiers > 1)
                throw new HrmException($"{where}: part {Name(t)} gives its puzzles their own identifiers; a dataset of several sizes shares one puzzle embedding table only when there is none (one identifier)");
        }
        var sizes = train.GroupBy(t => t.Metadata.SeqLen).FirstOrDefault(g => g.Count() > 1);
        if (sizes is not null)
            throw new HrmException($"{where}: the parts {string.Join(" and ", sizes.Select(Name))} have the same seq_len {sizes.Key}: put one part per grid size");
        if (Test.Any(t => t.Metadata.VocabSize != Train.Metadata.VocabSize || train.All(s => s.Metadata.SeqLen != t.Metadata.SeqLen)))
            throw new HrmException($"{where}: train and test splits disagree on vocab_size/seq_len");
        return this;
    }

    /// <summary>Total optimiser steps of <paramref name="config"/> on this data: max_steps, else the reference's epochs
    /// (over every training set).</summary>
    public long TotalSteps(TrainConfig config) =>
        config.MaxSteps ?? (long)(config.Epochs * AllTrain.Sum(t => t.Metadata.TotalGroups * t.Metadata.MeanPuzzleExamples) / config.GlobalBatchSize);
}

/// <summary>Batches prepared on a background thread so that a step never waits for the sampler; with an
/// augmentation, each batch is augmented there too, by its index in the run's batch stream.</summary>
sealed class BatchFeed : IDisposable
{
    readonly BlockingCollection<(int Iteration, HostBatch Batch)> queue = new(boundedCapacity: 4);
    readonly CancellationTokenSource stop;
    readonly Task producer;
    Exception? failure;

    public BatchFeed(IBatchStream sampler, long skipBatches, CancellationToken cancel, TrainingAugmentation? augmentation = null)
    {
        stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        producer = Task.Run(() =>
        {
            try
            {
                long index = skipBatches;
                foreach (var (iteration, batch) in sampler.Batches(skipBatches))
                    queue.Add((iteration, augmentation?.Apply(batch, index++) ?? batch), stop.Token);
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { failure = e; }   // rethrown by Next, on the training thread
            finally { queue.CompleteAdding(); }
        });
    }

    public (int Iteration, HostBatch Batch) Next(CancellationToken cancel)
    {
        try { return queue.Take(cancel); }
        catch (InvalidOperationException) when (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            throw;
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        try { producer.Wait(); } catch (AggregateException) { }
        stop.Dispose();
        queue.Dispose();
    }
}

/// <summary>
/// The training loop (the reference's pretrain.py as a library API): trains a given model on given puzzle sets, one
/// ACT segment per step with the carry kept across batches, evaluates on a schedule, logs to the run folder
/// (metrics.jsonl, TensorBoard), writes checkpoints, and resumes from the latest one exactly. The model may be new,
/// resumed or imported; process-wide settings (threads, the global seed) are the caller's (<see cref="TrainingRun"/>).
/// </summary>
public sealed class Trainer(TrainConfig config, RunFolder run, ITrainingObserver? observer = null)
{
    readonly ITrainingObserver user = observer ?? new TrainingObservers([]);

    public TrainResult Run(ActModel model, TrainingData data, bool resume = false, CancellationToken cancel = default)
    {
        data.Checked();
        run.Prepare((data.Source is null ? config : config with { DataPath = data.Source }).ToJson());
        using var jsonl = new JsonlMetricsLog(run.MetricsPath, append: resume);
        using var tensorboard = new TensorBoardLog(run.TensorBoardPath);
        var log = new TrainingObservers([user, jsonl, tensorboard]);
        long totalSteps = data.TotalSteps(config);
        using var state = new TrainState(model, config.Optimizer, totalSteps, new Generator((ulong)config.Seed + 1, model.Device))
        {
            MicroBatchSize = config.MicroBatchSize,
        };
        var position = new RunPosition(0, totalSteps, 0, 0);
        var latest = resume ? run.Latest : null;
        if (resume && latest is null)
            // Killed before its first checkpoint: nothing to continue, so the run starts again with its saved config.
            log.OnInfo($"{run.Root}: nothing to resume (no checkpoint yet): starting from step 0 with the run's saved config");
        else if (latest is not null)
        {
            position = Checkpoint.Restore(latest, state);
            state.Step = position.Step;
            log.OnInfo($"resumed from {latest.Root} at step {position.Step}");
        }
        var c = model.Config;
        log.OnInfo($"model: {c.Architecture.Name}, {model.parameters().Sum(p => p.numel()):N0} parameters, {c.Shape}, hidden {c.HiddenSize}, " +
                   $"halt_max_steps {c.HaltMaxSteps}{(c.ProgressiveSegments > 0 ? $" (+ 0..{c.ProgressiveSegments} segments without gradient before each training segment)" : "")}, " +
                   $"{c.ForwardDtype}; {totalSteps:N0} steps of batch {config.GlobalBatchSize}");

        var loop = new Loop(config, run, state, data, log, totalSteps, position);
        int epochsPerIteration = (int)Math.Min(config.EvalInterval ?? config.Epochs, 1_000_000);
        IBatchStream sampler = data.OtherSizes.Count == 0
            ? new TrainSampler(data.Train, config.GlobalBatchSize, config.Seed, epochsPerIteration)
            : new SizeMixSampler(data.AllTrain, config.GlobalBatchSize, config.Seed, epochsPerIteration);
        if (data.OtherSizes.Count > 0)
        {
            CheckRunsOnEverySize(model, data);
            long examples = data.AllTrain.Sum(t => (long)t.Data.ExampleCount);
            log.OnInfo("sizes: " + string.Join(", ", data.AllTrain.Select(t =>
                $"{t.Name} ({100.0 * t.Data.ExampleCount / examples:0}% of batches, {model.SegmentBudget(t.Metadata.SeqLen)} segments at most)")) +
                "; each batch holds one size, every size has its own carry");
        }
        var augmentation = config.Augment ? TrainingAugmentation.For(data.AllTrain, config.Seed) : null;
        if (augmentation is not null)
            log.OnInfo($"augment: every training example through a random view of its {augmentation.Task.Name} puzzle (input and label alike), drawn from seed {config.Seed} and the batch number");
        using (var feed = new BatchFeed(sampler, position.BatchesConsumed, cancel, augmentation))
        {
            try
            {
                while (state.Step < totalSteps && !loop.OutOfTime(cancel))
                {
                    var (iteration, host) = feed.Next(cancel);
                    if (loop.StartsNewIteration(iteration) && config.EvalInterval is not null) loop.Evaluate(final: false);
                    if (!loop.Step(host)) break;
                    if (Every(config.LogEverySteps, state.Step) || state.Step == totalSteps) loop.Log();
                    if (Every(config.EvalEverySteps, state.Step) && state.Step < totalSteps) loop.Evaluate(final: false);
                    if (Every(config.CheckpointEverySteps, state.Step)) loop.Save();
                }
            }
            catch (OperationCanceledException) { loop.Stopped = true; }
        }
        loop.ThrowIfNonFinite();
        loop.Save();
        if (!cancel.IsCancellationRequested) loop.Evaluate(final: true);
        return loop.Result();
    }

    static bool Every(long? interval, long step) => interval is long n && step % n == 0;

    /// <summary>Training on several sizes runs the same weights on each: refused, naming the weight, for a model whose
    /// weights fix its size (the check <see cref="ActModel.ForSeqLen"/> makes).</summary>
    static void CheckRunsOnEverySize(ActModel model, TrainingData data)
    {
        foreach (var t in data.OtherSizes)
        {
            try { model.ForSeqLen(t.Metadata.SeqLen).Dispose(); }
            catch (HrmException e) { throw e.Within($"training on several grid sizes ({string.Join(", ", data.AllTrain.Select(s => s.Name))})"); }
        }
    }

    /// <summary>What one run's loop keeps between steps: the clock, the batches consumed, the last evaluation and
    /// checkpoint, the metrics window.</summary>
    sealed class Loop(TrainConfig config, RunFolder run, TrainState state, TrainingData data, ITrainingObserver log, long totalSteps, RunPosition start)
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        readonly LogWindow window = new();
        long batches = start.BatchesConsumed, savedStep = -1, skipped;
        int lastIteration = -1;
        EvalReport? lastEval;
        string? lastCheckpoint;
        NonFiniteException? nonFinite;
        public bool Stopped;

        TimeSpan Elapsed => TimeSpan.FromSeconds(start.ElapsedSeconds + clock.Elapsed.TotalSeconds);

        public bool OutOfTime(CancellationToken cancel)
        {
            if (cancel.IsCancellationRequested || config.MaxMinutes is double mm && Elapsed.TotalMinutes >= mm) Stopped = true;
            return Stopped;
        }

        public bool StartsNewIteration(int iteration)
        {
            batches++;
            bool isNew = lastIteration != -1 && iteration != lastIteration;
            lastIteration = iteration;
            return isNew;
        }

        /// <summary>One optimiser step; false when the run must stop (a non-finite loss under nan_policy stop).</summary>
        public bool Step(HostBatch host)
        {
            using var scope = torch.NewDisposeScope();
            ActLossResult? loss;
            bool wasSkipped;
            try { loss = state.TrainBatch(ToDevice(host, state.Model.Device), config.NanPolicy == NanPolicy.Skip, out wasSkipped); }
            catch (NonFiniteException e) { nonFinite = e; return false; }   // nothing newer than the last good checkpoint is written
            if (wasSkipped) { skipped++; return true; }
            if (loss is null) return false;
            window.Add(loss.ToMetrics());
            return true;
        }

        public void Log()
        {
            if (skipped > 0) log.OnWarning($"step {state.Step}: {skipped} step(s) skipped so far for a non-finite loss or gradient");
            log.OnStep(window.Progress(state.Step, totalSteps, state.LearningRate(config.Lr), config.GlobalBatchSize, Elapsed, config.MaxMinutes));
        }

        public void Save()
        {
            if (savedStep == state.Step) return;
            try { lastCheckpoint = Checkpoint.Save(run.CheckpointAt(state.Step), state, config, new RunPosition(state.Step, totalSteps, batches, Elapsed.TotalSeconds)); }
            catch (Exception e) when (e is WriteFailedException or IOException or UnauthorizedAccessException)
            {
                // One line: what (the step's checkpoint), where (the file) and why, and what is still there to resume from.
                var good = lastCheckpoint ?? run.Latest?.Root;
                var what = e is WriteFailedException ? e.Message : AtomicFile.Reason(e);
                throw new HrmException($"step {state.Step}: writing the checkpoint failed: {what}" +
                    (good is not null ? $"; the earlier checkpoint {good} is intact (resume from it once there is room)" : "; no earlier checkpoint"), e);
            }
            savedStep = state.Step;
            log.OnCheckpoint(lastCheckpoint);
        }

        public void Evaluate(bool final)
        {
            var opts = new EvalOptions
            {
                BatchSize = config.GlobalBatchSize, MaxExamples = final ? config.FinalEvalMaxExamples : config.EvalMaxExamples, Device = state.Model.Device,
            };
            var sets = new Dictionary<string, SetMetrics>();
            using (state.EvaluationWeights())
                foreach (var set in data.Test)
                {
                    // A test set of another grid size (a run of several sizes) runs on the same weights built for its
                    // size, copied now (the EMA weights when EMA is on) and let go after.
                    using var sized = set.Metadata.SeqLen == state.Model.Config.SeqLen ? null : state.Model.ForSeqLen(set.Metadata.SeqLen);
                    sets[set.Name] = Evaluator.Evaluate(sized ?? state.Model, set, opts);
                }
            lastEval = new EvalReport(state.Step, sets, final) { Elapsed = Elapsed };
            log.OnEvaluation(lastEval);
            // The reference saves a checkpoint at every evaluation when checkpoint_every_eval is set (its default).
            if (config.CheckpointEveryEval && !final) Save();
        }

        public void ThrowIfNonFinite()
        {
            if (nonFinite is null) return;
            var good = lastCheckpoint ?? run.Latest?.Root;
            throw new HrmException(nonFinite.Message + (good is not null ? $"; the last good checkpoint is {good}" : "; no checkpoint was written"));
        }

        public TrainResult Result() => new(state.Step, Elapsed, lastEval, lastCheckpoint, Stopped);
    }

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
