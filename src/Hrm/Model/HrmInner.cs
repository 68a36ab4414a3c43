using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>
/// The Hierarchical Reasoning Model for one segment (the reference's HierarchicalReasoningModel_ACTV1_Inner):
/// input embedding, then H_cycles x L_cycles low-level steps with a high-level step after every L_cycles, all but the
/// last L and H update without gradient (the "one-step gradient"), then the LM head and the Q head.
/// </summary>
public sealed class HrmInner : RecurrentCore
{
    public readonly ReasoningModule<MixerBlock> H_level;
    public readonly ReasoningModule<MixerBlock> L_level;

    public HrmInner(HrmConfig config, Generator? generator = null) : base(nameof(HrmInner), config)
    {
        BuildInputOutput(generator);
        H_level = new ReasoningModule<MixerBlock>(config.HLayers, () => new MixerBlock(config, generator));
        L_level = new ReasoningModule<MixerBlock>(config.LLayers, () => new MixerBlock(config, generator));
        register_module("H_level", H_level);
        register_module("L_level", L_level);
        BuildInitialStates(generator);
    }

    public override SegmentOutput forward(InnerCarry carry, Tensor inputs, Tensor puzzleIds, IStepObserver? steps = null)
    {
        var x = InputEmbedding(inputs, puzzleIds);
        Tensor zH = carry.ZH, zL = carry.ZL;
        int H = Config.HCycles, L = Config.LCycles, step = 0;

        // All but the last L and H update run without gradient: the one-step gradient approximation. With
        // grad_h_cycles k > 0 the last k H cycles (their L steps and H step) keep their gradient instead, so a
        // segment learns to use several propagation steps at once (TRM's full backprop through the last recursion).
        int gradCycles = ((HrmConfig)Config).GradHCycles;
        if (gradCycles > 0) return ForwardWithGradCycles(x, zH, zL, H - gradCycles, steps);
        using (no_grad())
        {
            for (int h = 0; h < H; h++)
            {
                for (int l = 0; l < L; l++)
                    if (!(h == H - 1 && l == L - 1))
                    {
                        zL = L_level.forward(zL, zH + x, rotary_emb);
                        steps?.OnStep(new ReasoningStep(++step, StepKind.Low, zH, zL));
                    }
                if (h != H - 1)
                {
                    zH = H_level.forward(zH, zL, rotary_emb);
                    steps?.OnStep(new ReasoningStep(step, StepKind.High, zH, zL));
                }
            }
        }
        zL = L_level.forward(zL, zH + x, rotary_emb);
        steps?.OnStep(new ReasoningStep(++step, StepKind.Low, zH, zL));
        zH = H_level.forward(zH, zL, rotary_emb);
        steps?.OnStep(new ReasoningStep(step, StepKind.High, zH, zL));
        return Output(zH, zL);
    }

    SegmentOutput ForwardWithGradCycles(Tensor x, Tensor zH, Tensor zL, int noGradCycles, IStepObserver? steps)
    {
        int step = 0;
        for (int h = 0; h < Config.HCycles; h++)
        {
            using var grad = h < noGradCycles ? no_grad() : null;
            for (int l = 0; l < Config.LCycles; l++)
            {
                zL = L_level.forward(zL, zH + x, rotary_emb);
                steps?.OnStep(new ReasoningStep(++step, StepKind.Low, zH, zL));
            }
            zH = H_level.forward(zH, zL, rotary_emb);
            steps?.OnStep(new ReasoningStep(step, StepKind.High, zH, zL));
        }
        return Output(zH, zL);
    }

    public override Tensor DecodeIntermediate(Tensor zH, Tensor zL)
    {
        using var _ = no_grad();
        return Heads(H_level.forward(zH, zL, rotary_emb)).Logits;
    }
}
