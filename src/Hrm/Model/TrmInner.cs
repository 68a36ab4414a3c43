using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>
/// A TRM block: post-norm like HRM's, a token mixer (<see cref="ITokenMixer"/>: self-attention, the reference's mlp_t,
/// or our grid_conv), then the SwiGLU MLP: h = mixer(h); h = rms_norm(h + mlp(h)).
/// </summary>
public sealed class TrmBlock : nn.Module, IReasoningBlock
{
    public readonly ITokenMixer mixer;
    public readonly SwiGlu mlp;
    readonly double eps;

    public TrmBlock(TrmConfig c, Generator? generator) : base(nameof(TrmBlock))
    {
        // Built in the reference's order (token mixer, then mlp) so that a seeded model draws the same numbers.
        mixer = TokenMixers.Create(c, generator);
        register_module(mixer.Name, mixer.Module);
        mlp = new SwiGlu(c.HiddenSize, c.SwiGluIntermediate, generator);
        register_module("mlp", mlp);
        eps = c.RmsNormEps;
    }

    public Attention? self_attn => (mixer as AttentionMixer)?.Attention;
    public SwiGlu? mlp_t => (mixer as MlpTMixer)?.Mlp;

    public Tensor forward(Tensor h, RotaryEmbedding? rotary)
    {
        h = mixer.Apply(h, rotary, eps);
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
