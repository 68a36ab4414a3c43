using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>The recurrent state carried between segments: high- and low-level hidden states [B, P+S, hidden].</summary>
public sealed record InnerCarry(Tensor ZH, Tensor ZL);

/// <summary>What one segment of the inner model produces.</summary>
public sealed record SegmentOutput(InnerCarry Carry, Tensor Logits, Tensor QHalt, Tensor QContinue);

/// <summary>
/// The Hierarchical Reasoning Model for one segment (the reference's HierarchicalReasoningModel_ACTV1_Inner):
/// input embedding, then H_cycles x L_cycles low-level steps with a high-level step after every L_cycles, all but the
/// last L and H update without gradient (the "one-step gradient"), then the LM head and the Q head.
/// </summary>
public sealed class HrmInner : nn.Module
{
    public HrmConfig Config { get; }
    readonly ScalarType dtype;
    readonly double embedScale;

    public readonly CastedEmbedding embed_tokens;
    public readonly CastedLinear lm_head;
    public readonly CastedLinear q_head;
    public readonly PuzzleEmbedding? puzzle_emb;
    public readonly RotaryEmbedding? rotary_emb;
    public readonly CastedEmbedding? embed_pos;
    public readonly ReasoningModule H_level;
    public readonly ReasoningModule L_level;
    public readonly Tensor H_init;   // [hidden] in forward dtype, fixed
    public readonly Tensor L_init;

    public HrmInner(HrmConfig config, Generator? generator = null) : base(nameof(HrmInner))
    {
        Config = config.Validate();
        dtype = config.ForwardScalarType;
        int hidden = config.HiddenSize;
        embedScale = Math.Sqrt(hidden);
        double embedInitStd = 1.0 / embedScale;

        // I/O
        embed_tokens = new CastedEmbedding(config.VocabSize, hidden, embedInitStd, dtype, generator);
        lm_head = new CastedLinear(hidden, config.VocabSize, bias: false, generator);
        q_head = new CastedLinear(hidden, 2, bias: true, generator);
        register_module("embed_tokens", embed_tokens);
        register_module("lm_head", lm_head);
        register_module("q_head", q_head);

        if (config.PuzzleEmbNdim > 0)
        {
            puzzle_emb = new PuzzleEmbedding(config.NumPuzzleIdentifiers, config.PuzzleEmbNdim, dtype);
            register_module("puzzle_emb", puzzle_emb);
        }

        if (config.PosEncodings is "rope" or "rope2d")
        {
            rotary_emb = config.PosEncodings == "rope"
                ? new RotaryEmbedding(config.HeadDim, config.ModelSeqLen, config.RopeTheta)
                : RotaryEmbedding.Grid(config.HeadDim, config.GridSide, config.PuzzleEmbLen, config.RopeTheta);
            register_module("rotary_emb", rotary_emb);
        }
        else
        {
            embed_pos = new CastedEmbedding(config.ModelSeqLen, hidden, embedInitStd, dtype, generator);
            register_module("embed_pos", embed_pos);
        }

        H_level = new ReasoningModule(config, config.HLayers, generator);
        L_level = new ReasoningModule(config, config.LLayers, generator);
        register_module("H_level", H_level);
        register_module("L_level", L_level);

        H_init = Init.TruncNormal_(empty(hidden), 1.0, generator).to(dtype);
        L_init = Init.TruncNormal_(empty(hidden), 1.0, generator).to(dtype);
        register_buffer("H_init", H_init);
        register_buffer("L_init", L_init);

        // Q head starts (almost) silent, halting "off": weight 0, bias -5, for stable bootstrapping.
        using (no_grad())
        {
            q_head.weight.zero_();
            q_head.bias!.fill_(-5);
        }
    }

    /// <summary>Token embedding, prepended puzzle-embedding tokens, learned positions if used, times sqrt(hidden).</summary>
    Tensor InputEmbedding(Tensor inputs, Tensor puzzleIds)
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

    /// <summary>Carry for rows being reset: H_init / L_init broadcast over [B, P+S, hidden].</summary>
    public InnerCarry ResetCarry(Tensor reset, InnerCarry carry)
    {
        var flag = reset.view(-1, 1, 1);
        return new InnerCarry(where(flag, H_init, carry.ZH), where(flag, L_init, carry.ZL));
    }

    public InnerCarry EmptyCarry(long batch) =>
        new(zeros(batch, Config.ModelSeqLen, Config.HiddenSize, dtype, H_init.device), zeros(batch, Config.ModelSeqLen, Config.HiddenSize, dtype, H_init.device));

    public SegmentOutput forward(InnerCarry carry, Tensor inputs, Tensor puzzleIds)
    {
        var x = InputEmbedding(inputs, puzzleIds);
        Tensor zH = carry.ZH, zL = carry.ZL;

        // All but the last L and H update run without gradient: the one-step gradient approximation. With
        // grad_h_cycles k > 0 the last k H cycles (their L steps and H step) keep their gradient instead, so a
        // segment learns to use several propagation steps at once (TRM's full backprop through the last recursion).
        int noGradCycles = Config.HCycles - Config.GradHCycles;
        using (no_grad())
        {
            for (int h = 0; h < Math.Min(noGradCycles, Config.HCycles); h++)
            {
                for (int l = 0; l < Config.LCycles; l++)
                    if (!(h == Config.HCycles - 1 && l == Config.LCycles - 1))
                        zL = L_level.forward(zL, zH + x, rotary_emb);
                if (h != Config.HCycles - 1)
                    zH = H_level.forward(zH, zL, rotary_emb);
            }
        }
        if (Config.GradHCycles == 0)
        {
            zL = L_level.forward(zL, zH + x, rotary_emb);
            zH = H_level.forward(zH, zL, rotary_emb);
        }
        else
        {
            for (int h = noGradCycles; h < Config.HCycles; h++)
            {
                for (int l = 0; l < Config.LCycles; l++)
                    zL = L_level.forward(zL, zH + x, rotary_emb);
                zH = H_level.forward(zH, zL, rotary_emb);
            }
        }

        var logits = lm_head.forward(zH)[.., Config.PuzzleEmbLen..];    // [B, S, vocab]
        var q = q_head.forward(zH[.., 0]).to(float32);                   // [B, 2], read at position 0
        return new SegmentOutput(new InnerCarry(zH.detach(), zL.detach()), logits, q[.., 0], q[.., 1]);
    }
}
