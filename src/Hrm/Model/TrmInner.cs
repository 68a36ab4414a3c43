using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>
/// A TRM block: post-norm like HRM's, with either self-attention or (mlp_t) a SwiGLU that mixes the sequence axis.
/// The mlp_t branch transposes to [B, hidden, P+S], so its residual norm normalises each channel over the positions.
/// Ours: grid_conv mixes the grid cells with a k x k convolution (puzzle tokens get a zero mixer output).
/// </summary>
public sealed class TrmBlock : nn.Module, IReasoningBlock
{
    public readonly Attention? self_attn;
    public readonly SwiGlu? mlp_t;
    public readonly TorchSharp.Modules.Conv2d? grid_conv;
    readonly int side, prefix, pad;
    public readonly SwiGlu mlp;
    readonly double eps;

    public TrmBlock(TrmConfig c, Generator? generator) : base(nameof(TrmBlock))
    {
        // Built in the reference's order (token mixer, then mlp) so that a seeded model draws the same numbers.
        if (c.GridConv > 0)
        {
            // TorchSharp's default Conv2d init (kaiming-uniform, bound 1/sqrt(fan_in)) from the global generator, which the
            // trainer seeds: the measured recipe.
            (side, prefix, pad) = (c.GridSide, c.PuzzleEmbLen, c.GridConv / 2);
            grid_conv = nn.Conv2d(c.HiddenSize, c.HiddenSize, c.GridConv, bias: false);   // holds the weight; forward below
            register_module("grid_conv", grid_conv);
        }
        else if (c.MlpT)
        {
            mlp_t = new SwiGlu(c.ModelSeqLen, c.MlpTIntermediate, generator);
            register_module("mlp_t", mlp_t);
        }
        else
        {
            self_attn = new Attention(c.Block, generator);
            register_module("self_attn", self_attn);
        }
        mlp = new SwiGlu(c.HiddenSize, c.SwiGluIntermediate, generator);
        register_module("mlp", mlp);
        eps = c.RmsNormEps;
    }

    public Tensor forward(Tensor h, RotaryEmbedding? rotary)
    {
        if (grid_conv is not null)
        {
            long b = h.shape[0], d = h.shape[2];
            var cells = prefix > 0 ? h.narrow(1, prefix, side * side) : h;
            // The weight is cast to the forward dtype, as CastedLinear does (bfloat16 runs keep float32 parameters).
            var mixed = nn.functional.conv2d(cells.transpose(1, 2).reshape(b, d, side, side), grid_conv.weight!.to(h.dtype), padding: [pad, pad])
                .reshape(b, d, side * side).transpose(1, 2);
            if (prefix > 0) mixed = cat([zeros(b, prefix, d, h.dtype, h.device), mixed], 1);
            h = RmsNorm.Apply(h + mixed, eps);
        }
        else if (mlp_t is not null)
        {
            var t = h.transpose(1, 2);
            h = RmsNorm.Apply(t + mlp_t.forward(t), eps).transpose(1, 2);
        }
        else
            h = RmsNorm.Apply(h + self_attn!.forward(h, rotary), eps);
        return RmsNorm.Apply(h + mlp.forward(h), eps);
    }
}

/// <summary>
/// The Tiny Recursive Model for one segment (the reference's TinyRecursiveReasoningModel_ACTV1_Inner): H_cycles
/// recursions of L_cycles z_L updates (z_L += z_H + x) and one z_H update (z_H += z_L), all through the same network.
/// The first H_cycles - 1 recursions run without gradient; the whole last one backpropagates (no one-step gradient).
/// </summary>
public sealed class TrmInner : RecurrentCore
{
    /// <summary>TRM's single network, named L_level as in the reference though it also computes z_H.</summary>
    public readonly ReasoningModule<TrmBlock> L_level;

    public TrmInner(TrmConfig config, Generator? generator = null) : base(nameof(TrmInner), config)
    {
        BuildInputOutput(generator);
        L_level = new ReasoningModule<TrmBlock>(config.LLayers, () => new TrmBlock(config, generator));
        register_module("L_level", L_level);
        BuildInitialStates(generator);
    }

    public override SegmentOutput forward(InnerCarry carry, Tensor inputs, Tensor puzzleIds, IStepObserver? steps = null)
    {
        var x = InputEmbedding(inputs, puzzleIds);
        Tensor zH = carry.ZH, zL = carry.ZL;
        int H = Config.HCycles, L = Config.LCycles, step = 0;

        void Recursion()
        {
            for (int l = 0; l < L; l++)
            {
                zL = L_level.forward(zL, zH + x, rotary_emb);
                steps?.OnStep(new ReasoningStep(++step, StepKind.Low, zH, zL));
            }
            zH = L_level.forward(zH, zL, rotary_emb);
            steps?.OnStep(new ReasoningStep(step, StepKind.High, zH, zL));
        }

        using (no_grad())
            for (int h = 0; h < H - 1; h++) Recursion();
        Recursion();
        return Output(zH, zL);
    }

    public override Tensor DecodeIntermediate(Tensor zH, Tensor zL)
    {
        using var _ = no_grad();
        return Heads(L_level.forward(zH, zL, rotary_emb)).Logits;
    }
}
