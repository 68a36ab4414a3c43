using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>Optimiser and schedule hyper-parameters (the reference's PretrainConfig fields of the same names).</summary>
public sealed record OptimizerSettings
{
    public double Lr { get; init; } = 1e-4;
    public double LrMinRatio { get; init; } = 1.0;
    public long LrWarmupSteps { get; init; } = 2000;
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double PuzzleEmbLr { get; init; } = 1e-2;
    public double PuzzleEmbWeightDecay { get; init; } = 0.1;
    /// <summary>Keep an exponential moving average of the weights (TRM's ema), updated after every step.</summary>
    public bool Ema { get; init; }
    public double EmaRate { get; init; } = 0.999;
}

/// <summary>
/// The state of a training run and its step (the reference's TrainState + train_batch): the ACT model, Adam-atan2 on
/// every parameter, sign-SGD on the puzzle table, the step counter driving the schedule, and the ACT carry that lives
/// across all batches. Each call of <see cref="TrainBatch"/> is one segment and one optimiser step.
/// </summary>
public sealed class TrainState : IDisposable
{
    public ActModel Model { get; }
    public AdamAtan2 Adam { get; }
    public SignSgd? PuzzleEmbOptimizer { get; }
    public OptimizerSettings Settings { get; }
    public long Step { get; set; }
    public long TotalSteps { get; set; }
    /// <summary>The ACT carry of the model's own sequence length (null before the first step).</summary>
    public ActCarry? Carry => carries.GetValueOrDefault(Model.Config.SeqLen);
    /// <summary>Every carry, by sequence length: one in a run on one size, one per grid size in a run of several
    /// (a batch holds one size and continues that size's rows).</summary>
    public IReadOnlyDictionary<long, ActCarry> Carries => carries;
    readonly Dictionary<long, ActCarry> carries = new();
    /// <summary>Run each batch in row chunks of this size (gradient accumulation) to save memory; null = whole batch.</summary>
    public int? MicroBatchSize { get; set; }
    /// <summary>Drives halting exploration; seeded, so a run is reproducible.</summary>
    public Generator Generator { get; }
    /// <summary>The weights' moving average when <see cref="OptimizerSettings.Ema"/> is on: evaluation and checkpoints
    /// use it, training continues on the raw weights.</summary>
    public Ema? Ema { get; }

    public TrainState(ActModel model, OptimizerSettings settings, long totalSteps, Generator generator)
    {
        Model = model;
        Settings = settings;
        TotalSteps = totalSteps;
        Generator = generator;
        Adam = new AdamAtan2(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), settings.Lr, settings.Beta1, settings.Beta2, settings.WeightDecay);
        if (model.inner.PuzzleEmbedding is PuzzleEmbedding pe)
            PuzzleEmbOptimizer = new SignSgd(pe, settings.PuzzleEmbLr, settings.PuzzleEmbWeightDecay);
        if (settings.Ema) Ema = new Ema(model, settings.EmaRate);
    }

    /// <summary>Puts the EMA weights into the model until disposed (nothing to do without EMA).</summary>
    public IDisposable EvaluationWeights() => Ema?.Swap() ?? NoSwap.Instance;

    sealed class NoSwap : IDisposable
    {
        public static readonly NoSwap Instance = new();
        public void Dispose() { }
    }

    public double LearningRate(double baseLr) =>
        Schedule.LearningRate(Step, baseLr, Settings.LrWarmupSteps, TotalSteps, Settings.LrMinRatio);

    /// <summary>
    /// One training segment on <paramref name="batch"/> (always a full batch of global_batch_size rows):
    /// <see cref="ForwardBackward"/> then <see cref="Update"/>. Returns the loss terms and metric sums, or null when the
    /// step budget is exhausted.
    /// </summary>
    public ActLossResult? TrainBatch(PuzzleBatch batch) => TrainBatch(batch, skipNonFinite: false, out _);

    /// <summary>
    /// <see cref="TrainBatch(PuzzleBatch)"/> that first checks the loss and every gradient. A non-finite value throws
    /// <see cref="NonFiniteException"/> (nothing is updated), or, with <paramref name="skipNonFinite"/>, the step is
    /// dropped: no update, the previous carry kept, <paramref name="skipped"/> true.
    /// </summary>
    public ActLossResult? TrainBatch(PuzzleBatch batch, bool skipNonFinite, out bool skipped)
    {
        // Every training step (the trainer's, `hrm bench train`'s, the precision probe's) runs without a garbage
        // collection inside it: see Runtime.NoCollection.
        using var noCollection = Hrm.Runtime.NoCollection.During();
        using var scope = NewDisposeScope();
        skipped = false;
        var result = ForwardBackward(batch);
        if (result is null) return null;
        if (!AllFinite(result.Loss.Total))
        {
            if (!skipNonFinite) { Discard(); throw new NonFiniteException(Step); }
            Discard();
            skipped = true;
            return result.Loss.MoveToOuter();
        }
        Update();
        return result.Loss.MoveToOuter();
    }

    /// <summary>Whether the loss and every gradient (and the puzzle rows' gradients) are finite: one device sync.
    /// Each gradient is summed in float64, which cannot overflow for float32 or bfloat16 values (their largest
    /// magnitude times any tensor size stays far below float64's range), so a sum is finite exactly when all its
    /// elements are: one reduction per gradient instead of an isfinite map and an all reduction.</summary>
    bool AllFinite(Tensor total)
    {
        using var _ = no_grad();
        var sums = new List<Tensor> { total.to(float64) };
        foreach (var p in Model.parameters()) if (p.grad is Tensor g) sums.Add(g.sum(float64));
        if (PuzzleEmbOptimizer is not null)
            foreach (var (w, _) in Model.inner.PuzzleEmbedding!.Locals) if (w.grad is Tensor g) sums.Add(g.sum(float64));
        return isfinite(stack(sums.ToArray())).all().item<bool>();
    }

    /// <summary>Drops a computed step: gradients cleared, the step's carry thrown away (the old one stays).</summary>
    public void Discard()
    {
        var step = pending;
        pending = null;
        Adam.ZeroGrad();
        PuzzleEmbOptimizer?.ZeroGrad();
        if (step is not null && !ReferenceEquals(step.Carry, carries.GetValueOrDefault(SeqLenOf(step.Carry)))) step.Carry.Dispose();
    }

    /// <summary>The forward/backward half of a step: what it computed, for inspection before <see cref="Update"/>.</summary>
    /// <param name="Carry">The carry after this segment (committed by <see cref="Update"/>).</param>
    /// <param name="Loss">Loss terms and metric sums, summed over micro-batches.</param>
    /// <param name="Output">The ACT output, when the batch ran in one piece (no micro-batches).</param>
    public sealed record Forward(ActCarry Carry, ActLossResult Loss, ActOutput? Output);

    Forward? pending;

    /// <summary>
    /// Advances the step counter and, within the budget, runs the segment forward with the carried state and
    /// backpropagates total / global_batch_size, leaving the gradients on the parameters (and the puzzle embedding's
    /// local rows). Returns null past the budget (the reference skips such steps).
    /// </summary>
    public Forward? ForwardBackward(PuzzleBatch batch)
    {
        Step++;
        if (Step > TotalSteps) return null;
        Model.train();
        // The carry outlives every dispose scope of the caller: it is owned (and disposed) by this state. A run of
        // several grid sizes keeps one per size.
        long key = batch.Inputs.shape[1];
        if (!carries.TryGetValue(key, out var carry)) carries[key] = carry = Model.InitialCarry(batch).Detach();

        // Rows are independent (attention never crosses rows, the loss is a sum over rows), so a batch can be run in
        // row chunks whose gradients add up to the full batch's: the same update with a fraction of the activation
        // memory. The loss is still divided by the full batch size, as the reference does.
        int chunk = MicroBatchSize is int mb && mb > 0 && mb < batch.Size ? mb : (int)batch.Size;
        var outs = new List<ActCarry>();
        ActLossResult? loss = null;
        ActOutput? output = null;
        for (long start = 0; start < batch.Size; start += chunk)
        {
            long len = Math.Min(chunk, batch.Size - start);
            var (carryIn, part) = chunk == batch.Size ? (carry, batch) : (carry.Rows(start, len), batch.Rows(start, len));
            var (carryOut, o) = Model.forward(carryIn, part, Generator);
            var l = ActLoss.Compute(carryOut, o, Model.Config.Loss);
            (l.Total / batch.Size).backward();
            loss = loss is null ? l : loss.Add(l);
            outs.Add(carryOut);
            if (chunk == batch.Size) output = o;
        }
        pending = new Forward(outs.Count == 1 ? outs[0] : ActCarry.Concat(outs), loss!, output);
        return pending;
    }

    /// <summary>The update half of a step: sign-SGD on the puzzle rows, then Adam-atan2, at the scheduled learning
    /// rates; then the step's carry replaces the old one.</summary>
    public void Update()
    {
        var step = pending ?? throw new InvalidOperationException("Update without ForwardBackward");
        pending = null;
        if (PuzzleEmbOptimizer is not null)
        {
            PuzzleEmbOptimizer.LearningRate = LearningRate(Settings.PuzzleEmbLr);
            PuzzleEmbOptimizer.Step();
            PuzzleEmbOptimizer.ZeroGrad();
        }
        Adam.LearningRate = LearningRate(Settings.Lr);
        Adam.Step();
        Adam.ZeroGrad();
        Ema?.Update();

        SetCarry(step.Carry);
    }

    static long SeqLenOf(ActCarry carry) => carry.Data.Inputs.shape[1];

    /// <summary>Replaces the carry of the given carry's sequence length (resume from a checkpoint).</summary>
    public void SetCarry(ActCarry carry)
    {
        long key = SeqLenOf(carry);
        if (carries.Remove(key, out var old)) old.Dispose();
        carries[key] = carry.Detach();
    }

    /// <summary>Forgets every carry (e.g. after loading a checkpoint): the next batch starts every row afresh.</summary>
    public void ResetCarry()
    {
        foreach (var c in carries.Values) c.Dispose();
        carries.Clear();
    }

    public void Dispose()
    {
        ResetCarry();
        Adam.Dispose();
        Ema?.Dispose();
    }
}

/// <summary>A training step whose loss or gradients are not finite (NaN or infinity).</summary>
public sealed class NonFiniteException(long step)
    : HrmException($"step {step}: the loss or a gradient is not finite (NaN or infinity); stopped without updating (nan_policy skip skips such steps instead)")
{
    public long Step { get; } = step;
}
