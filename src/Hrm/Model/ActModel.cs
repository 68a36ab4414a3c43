using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>A batch of puzzles: inputs [B, S] and labels [B, S] (int64, -100 = ignored), puzzle identifiers [B] (int64).</summary>
public sealed record PuzzleBatch(Tensor Inputs, Tensor Labels, Tensor PuzzleIds) : IDisposable
{
    public long Size => Inputs.shape[0];
    public PuzzleBatch Rows(long start, long length) => new(Inputs.narrow(0, start, length), Labels.narrow(0, start, length), PuzzleIds.narrow(0, start, length));
    public void Dispose() { Inputs.Dispose(); Labels.Dispose(); PuzzleIds.Dispose(); }
}

/// <summary>
/// The ACT state carried between calls: the inner carry, per-row segment counters and halted flags, and the rows each
/// batch slot is currently working on. A slot keeps its puzzle until it halts; then the next call resets it.
/// </summary>
public sealed class ActCarry : IDisposable
{
    public InnerCarry Inner { get; }
    public Tensor Steps { get; }    // [B] int32
    public Tensor Halted { get; }   // [B] bool
    public PuzzleBatch Data { get; }

    public ActCarry(InnerCarry inner, Tensor steps, Tensor halted, PuzzleBatch data)
    {
        Inner = inner; Steps = steps; Halted = halted; Data = data;
    }

    /// <summary>Rows [start, start + length) of every carried tensor (views).</summary>
    public ActCarry Rows(long start, long length) => new(
        new InnerCarry(Inner.ZH.narrow(0, start, length), Inner.ZL.narrow(0, start, length)),
        Steps.narrow(0, start, length), Halted.narrow(0, start, length), Data.Rows(start, length));

    /// <summary>Row-wise concatenation of chunk carries, in order.</summary>
    public static ActCarry Concat(IReadOnlyList<ActCarry> parts)
    {
        Tensor Cat(Func<ActCarry, Tensor> f) => cat(parts.Select(f).ToArray(), 0);
        return new ActCarry(new InnerCarry(Cat(c => c.Inner.ZH), Cat(c => c.Inner.ZL)), Cat(c => c.Steps), Cat(c => c.Halted),
            new PuzzleBatch(Cat(c => c.Data.Inputs), Cat(c => c.Data.Labels), Cat(c => c.Data.PuzzleIds)));
    }

    IEnumerable<Tensor> Tensors() => [Inner.ZH, Inner.ZL, Steps, Halted, Data.Inputs, Data.Labels, Data.PuzzleIds];

    /// <summary>Keeps the carry alive past the current dispose scope (it lives across steps).</summary>
    public ActCarry MoveToOuter() { foreach (var t in Tensors()) t.MoveToOuterDisposeScope(); return this; }
    public ActCarry Detach() { foreach (var t in Tensors()) t.DetachFromDisposeScope(); return this; }
    public void Dispose() { foreach (var t in Tensors()) t.Dispose(); }
}

/// <summary>What one ACT call returns besides the new carry.</summary>
public sealed record ActOutput(Tensor Logits, Tensor QHalt, Tensor QContinue, Tensor? TargetQContinue);

/// <summary>
/// The ACT wrapper (the reference's ..._ACTV1 classes): deep supervision over segments with Q-learned halting, around
/// any architecture's <see cref="RecurrentCore"/>, chosen by the config. One call = one segment. Named "model" in
/// reference checkpoints, with the core under "inner".
/// </summary>
public sealed class ActModel : nn.Module
{
    public readonly RecurrentCore inner;
    public ModelConfig Config => inner.Config;
    /// <summary>The device the model lives on.</summary>
    public Device Device => inner.Device;

    public ActModel(ModelConfig config, Generator? generator = null) : base(nameof(ActModel))
    {
        inner = config.Validate().BuildCore(generator);
        register_module("inner", inner);
    }

    /// <summary>
    /// The same weights as a model for sequences of <paramref name="seqLen"/> tokens (another grid size), or this model
    /// when the length is its own. Only a model whose weights do not depend on seq_len qualifies (e.g. TRM with grid_conv,
    /// no learned positions): every parameter and buffer must keep its shape, and 1-D rotary positions (whose meaning
    /// changes with the grid width) are refused; otherwise an <see cref="HrmException"/> names the weight that fixes
    /// the size. The budget follows <see cref="ModelConfig.HaltMaxStepsForSide"/>. The new model is on this model's
    /// device, in eval mode; this model stays as it is. <see cref="SizedModels"/> builds with this and owns what it
    /// builds: evaluation, the solver and the server all ask there.
    /// </summary>
    public ActModel ForSeqLen(int seqLen)
    {
        var c = Config;
        if (seqLen == c.SeqLen) return this;
        string Size(int s) => Hrm.Tasks.GridSize.SquareSide(s) is > 0 and var n ? $"seq_len {s} ({n}x{n})" : $"seq_len {s}";
        string Refuse(string weight) =>
            $"the checkpoint was trained on {Size(c.SeqLen)} and its weight {weight} fixes that size: it cannot run on {Size(seqLen)} (only a model without size-bound weights, such as TRM with grid_conv and no learned positions, runs on another size)";
        if (c.Positions == PositionEncoding.Rope) throw new HrmException(Refuse("inner.rotary_emb (rotary positions along the sequence)"));
        ModelConfig resized;
        try { resized = (c with { SeqLen = seqLen, HaltMaxSteps = SegmentBudget(seqLen) }).Validate(); }
        catch (HrmException e) { throw e.Within($"cannot run the checkpoint on {Size(seqLen)}"); }
        var model = new ActModel(resized);
        try
        {
            var mine = state_dict();
            foreach (var (name, tensor) in model.state_dict())
                if (!mine.TryGetValue(name, out var own) || !own.shape.SequenceEqual(tensor.shape))
                    throw new HrmException(Refuse(name));
            model.load_state_dict(mine);
            model.to(Device);
            model.eval();
            return model;
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>The segment budget for rows of <paramref name="seqLen"/> tokens: halt_max_steps for the model's own
    /// length, else <see cref="ModelConfig.HaltMaxStepsForSide"/> of the grid (a run of several sizes trains each size
    /// with its own budget, as <see cref="ForSeqLen"/> evaluates it).</summary>
    public int SegmentBudget(long seqLen) =>
        seqLen == Config.SeqLen ? Config.HaltMaxSteps
        : Hrm.Tasks.GridSize.SquareSide((int)seqLen) is > 0 and var side ? Config.HaltMaxStepsForSide(side) : Config.HaltMaxSteps;

    /// <summary>All rows start halted, so the first call resets every row to H_init/L_init with the batch's data.
    /// The states take the batch's sequence length (a run of several grid sizes keeps one carry per size).</summary>
    public ActCarry InitialCarry(PuzzleBatch batch)
    {
        long b = batch.Size;
        var device = batch.Inputs.device;
        return new ActCarry(inner.EmptyCarry(b, batch.Inputs.shape[1]), zeros(b, int32, device), ones(b, @bool, device),
            new PuzzleBatch(zeros_like(batch.Inputs), zeros_like(batch.Labels), zeros_like(batch.PuzzleIds)));
    }

    /// <summary>The model's own ACT decision for each row (bool [B]): the architecture's halting rule on the Q values.
    /// Training and inference's "q" rule both ask here.</summary>
    public Tensor WantsToHalt(Tensor qHalt, Tensor qContinue) => Config.Halting switch
    {
        ActHalting.QHaltPositive => qHalt > 0,
        _ => qHalt > qContinue,
    };

    /// <summary>
    /// One segment. In training (module.train()) with halt_max_steps &gt; 1, rows also halt by the architecture's
    /// rule (<see cref="WantsToHalt"/>, subject to exploration), and with HRM's rule the Q-continue target is
    /// bootstrapped from one more no-gradient forward; with progressive_segments, a random number of no-gradient
    /// segments runs first. In evaluation every row runs exactly halt_max_steps segments.
    /// </summary>
    public (ActCarry Carry, ActOutput Output) forward(ActCarry carry, PuzzleBatch batch, Generator? generator = null)
    {
        // Halted rows restart on the new batch's rows at the same index; the others keep their puzzle and state.
        var innerCarry = inner.ResetCarry(carry.Halted, carry.Inner);
        var steps = where(carry.Halted, zeros_like(carry.Steps), carry.Steps);
        var h2 = carry.Halted.view(-1, 1);
        var data = new PuzzleBatch(
            where(h2, batch.Inputs, carry.Data.Inputs),
            where(h2, batch.Labels, carry.Data.Labels),
            where(carry.Halted, batch.PuzzleIds, carry.Data.PuzzleIds));

        if (training && Config.ProgressiveSegments > 0)
        {
            // The progressive loss: a random number of segments without gradient first (not counted as steps).
            long extra = randint(0, Config.ProgressiveSegments + 1, [1], generator: generator, dtype: int64, device: data.Inputs.device).item<long>();
            using (no_grad())
                for (long i = 0; i < extra; i++) innerCarry = inner.forward(innerCarry, data.Inputs, data.PuzzleIds).Carry;
        }
        var seg = inner.forward(innerCarry, data.Inputs, data.PuzzleIds);
        int maxSteps = SegmentBudget(data.Inputs.shape[1]);

        Tensor halted;
        Tensor? target = null;
        using (no_grad())
        {
            steps = steps + 1;
            var isLastStep = steps >= maxSteps;
            halted = isLastStep;
            if (training && maxSteps > 1 && Config.HaltsInTraining)
                halted = halted | WantsToHalt(seg.QHalt, seg.QContinue);
            if (training && maxSteps > 1 && Config.HaltsInTraining)
            {
                // Exploration: some rows must run at least a random number of segments in {2..halt_max_steps}.
                var explore = rand(seg.QHalt.shape, generator: generator, device: seg.QHalt.device) < Config.HaltExplorationProb;
                var minHalt = explore * randint(2, maxSteps + 1, steps.shape, generator: generator, dtype: int32, device: steps.device);
                halted = halted & (steps >= minHalt);

                if (Config.BootstrapsQContinue)
                {
                    // Bootstrapped target from the post-segment state, with this step's (not yet updated) weights.
                    var next = inner.forward(seg.Carry, data.Inputs, data.PuzzleIds);
                    target = sigmoid(where(isLastStep, next.QHalt, maximum(next.QHalt, next.QContinue)));
                }
            }
        }
        var newCarry = new ActCarry(seg.Carry, steps.to(int32), halted, data);
        return (newCarry, new ActOutput(seg.Logits, seg.QHalt, seg.QContinue, target));
    }
}
