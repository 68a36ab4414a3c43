using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>
/// The Tiny Recursive Model for one segment (the reference's TinyRecursiveReasoningModel_ACTV1_Inner): H_cycles
/// recursions of L_cycles z_L updates (z_L += z_H + x) and one z_H update (z_H += z_L), all through the same network.
/// The first H_cycles - 1 recursions run without gradient; the whole last one backpropagates (no one-step gradient).
/// </summary>
public sealed class TrmInner : RecurrentCore
{
    /// <summary>TRM's single network, named L_level as in the reference though it also computes z_H.</summary>
    public readonly ReasoningModule<MixerBlock> L_level;

    public TrmInner(TrmConfig config, Generator? generator = null) : base(nameof(TrmInner), config)
    {
        BuildInputOutput(generator);
        L_level = new ReasoningModule<MixerBlock>(config.LLayers, () => new MixerBlock(config, generator));
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
