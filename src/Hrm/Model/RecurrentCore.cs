using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>The recurrent state carried between segments: high- and low-level hidden states [B, P+S, hidden].</summary>
public sealed record InnerCarry(Tensor ZH, Tensor ZL);

/// <summary>What one segment of a recurrent core produces.</summary>
public sealed record SegmentOutput(InnerCarry Carry, Tensor Logits, Tensor QHalt, Tensor QContinue);

/// <summary>Which state an update inside a segment changed.</summary>
public enum StepKind { Low, High }

/// <summary>
/// One update inside a segment: <see cref="Step"/> counts the low-level updates of the segment from 1; a high-level
/// update carries the step of the low-level update it follows. The tensors are the states right after the update
/// ([B, P+S, hidden]) and are valid only during the observer call: clone what you keep.
/// </summary>
public readonly record struct ReasoningStep(int Step, StepKind Kind, Tensor ZH, Tensor ZL);

/// <summary>Sees every update inside a segment, in order. Passing none costs nothing.</summary>
public interface IStepObserver
{
    void OnStep(in ReasoningStep step);
}

/// <summary>
/// The seam between the ACT wrapper and an architecture (the reference's "inner" model): input embedding, the recurrent
/// updates of one segment, the output heads, and the carry. Every architecture shares the I/O layers built here (token
/// embedding, LM head, Q head, puzzle embedding, positions, H_init/L_init) and brings its own reasoning modules.
/// Subclasses register modules in the reference's order so that state dicts list them the same way.
/// </summary>
public abstract class RecurrentCore : nn.Module
{
    public ModelConfig Config { get; }
    protected readonly ScalarType dtype;
    readonly double embedScale;

    public CastedEmbedding embed_tokens = null!;
    public CastedLinear lm_head = null!;
    public CastedLinear q_head = null!;
    public PuzzleEmbedding? puzzle_emb;
    public RotaryEmbedding? rotary_emb;
    public CastedEmbedding? embed_pos;
    public Tensor H_init = null!;   // [hidden] in forward dtype, fixed
    public Tensor L_init = null!;

    protected RecurrentCore(string name, ModelConfig config) : base(name)
    {
        Config = config.Validate();
        dtype = config.ForwardScalarType;
        embedScale = Math.Sqrt(config.HiddenSize);
    }

    /// <summary>The device the model lives on.</summary>
    public Device Device => H_init.device;

    /// <summary>The puzzle-embedding table (trained by sign-SGD), if the config has one.</summary>
    public PuzzleEmbedding? PuzzleEmbedding => puzzle_emb;

    /// <summary>Token embedding, LM head, Q head, puzzle embedding and positions, in the reference's order.</summary>
    protected void BuildInputOutput(Generator? generator)
    {
        var c = Config;
        double embedInitStd = 1.0 / embedScale;
        embed_tokens = new CastedEmbedding(c.VocabSize, c.HiddenSize, embedInitStd, dtype, generator);
        lm_head = new CastedLinear(c.HiddenSize, c.VocabSize, bias: false, generator);
        q_head = new CastedLinear(c.HiddenSize, 2, bias: true, generator);
        register_module("embed_tokens", embed_tokens);
        register_module("lm_head", lm_head);
        register_module("q_head", q_head);

        if (c.PuzzleEmbNdim > 0)
        {
            puzzle_emb = new PuzzleEmbedding(c.NumPuzzleIdentifiers, c.PuzzleEmbNdim, dtype);
            register_module("puzzle_emb", puzzle_emb);
        }

        if (c.Positions is PositionEncoding.Rope or PositionEncoding.Rope2d)
        {
            rotary_emb = c.Positions == PositionEncoding.Rope
                ? new RotaryEmbedding(c.HeadDim, c.ModelSeqLen, c.RopeTheta)
                : RotaryEmbedding.Grid(c.HeadDim, c.GridSide, c.PuzzleEmbLen, c.RopeTheta);
            register_module("rotary_emb", rotary_emb);
        }
        else if (c.Positions == PositionEncoding.Learned)
        {
            embed_pos = new CastedEmbedding(c.ModelSeqLen, c.HiddenSize, embedInitStd, dtype, generator);
            register_module("embed_pos", embed_pos);
        }
    }

    /// <summary>H_init and L_init (truncated normal, std 1, never trained), then the Q head's "halting off" start.</summary>
    /// <param name="lowState">false for cores without a z_L (the transformer baseline): L_init is then zeros, drawn
    /// from no generator and not saved, as the reference has no such buffer.</param>
    protected void BuildInitialStates(Generator? generator, bool lowState = true)
    {
        int hidden = Config.HiddenSize;
        H_init = Init.TruncNormal_(empty(hidden), 1.0, generator).to(dtype);
        L_init = lowState ? Init.TruncNormal_(empty(hidden), 1.0, generator).to(dtype) : zeros(hidden, dtype);
        register_buffer("H_init", H_init);
        register_buffer("L_init", L_init, persistent: lowState);

        // Q head starts (almost) silent, halting "off": weight 0, bias -5, for stable bootstrapping.
        using (no_grad())
        {
            q_head.weight.zero_();
            q_head.bias!.fill_(-5);
        }
    }

    /// <summary>Token embedding, prepended puzzle-embedding tokens, learned positions if used, times sqrt(hidden).</summary>
    protected Tensor InputEmbedding(Tensor inputs, Tensor puzzleIds)
    {
        var embedding = embed_tokens.forward(inputs.to(int64));   // [B, S, D]
        if (puzzle_emb is not null)
        {
            var pe = puzzle_emb.forward(puzzleIds.to(int64));        // [B, ndim]
            long pad = (long)Config.PuzzleEmbLen * Config.HiddenSize - pe.shape[^1];
            if (pad > 0) pe = nn.functional.pad(pe, [0, pad]);
            embedding = cat([pe.view(-1, Config.PuzzleEmbLen, Config.HiddenSize), embedding], -2);   // [B, P+S, D]
        }
        if (embed_pos is not null)
            embedding = 0.707106781 * (embedding + embed_pos.embedding_weight.to(dtype));   // 1/sqrt(2) keeps the variance
        return embedScale * embedding;
    }

    /// <summary>The LM head over the grid positions [B, S, vocab] and the Q head at position 0 (float32 [B, 2]).</summary>
    protected (Tensor Logits, Tensor Q) Heads(Tensor zH)
    {
        var logits = lm_head.forward(zH)[.., Config.PuzzleEmbLen..];    // [B, S, vocab]
        var q = q_head.forward(zH[.., 0]).to(float32);                   // [B, 2], read at position 0
        return (logits, q);
    }

    protected SegmentOutput Output(Tensor zH, Tensor zL)
    {
        var (logits, q) = Heads(zH);
        return new SegmentOutput(new InnerCarry(zH.detach(), zL.detach()), logits, q[.., 0], q[.., 1]);
    }

    /// <summary>Carry for rows being reset: H_init / L_init broadcast over [B, P+S, hidden].</summary>
    public InnerCarry ResetCarry(Tensor reset, InnerCarry carry)
    {
        var flag = reset.view(-1, 1, 1);
        return new InnerCarry(where(flag, H_init, carry.ZH), where(flag, L_init, carry.ZL));
    }

    /// <summary>Zero states for <paramref name="batch"/> rows of <paramref name="seqLen"/> grid tokens (default the
    /// config's; another length only for a model whose weights fit any size, see <see cref="ActModel.ForSeqLen"/>),
    /// puzzle-embedding positions added.</summary>
    public InnerCarry EmptyCarry(long batch, long? seqLen = null)
    {
        long tokens = (seqLen ?? Config.SeqLen) + Config.PuzzleEmbLen;
        return new(zeros(batch, tokens, Config.HiddenSize, dtype, Device), zeros(batch, tokens, Config.HiddenSize, dtype, Device));
    }

    /// <summary>A fresh carry for <paramref name="batch"/> rows: every row at H_init / L_init.</summary>
    public InnerCarry InitialCarry(long batch) => ResetCarry(ones(batch, @bool, Device), EmptyCarry(batch));

    /// <summary>One segment from <paramref name="carry"/>; <paramref name="steps"/>, when given, sees every update.</summary>
    public abstract SegmentOutput forward(InnerCarry carry, Tensor inputs, Tensor puzzleIds, IStepObserver? steps = null);

    /// <summary>
    /// Decodes an intermediate state as the paper does: a preliminary high-level update from (zH, zL), then the LM head
    /// (zbar = f_H(zH, zL), ybar = f_O(zbar)). Returns logits [B, S, vocab]. For traces; no gradient.
    /// </summary>
    public abstract Tensor DecodeIntermediate(Tensor zH, Tensor zL);
}
