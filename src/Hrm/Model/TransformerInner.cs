using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>
/// The baseline transformer for one segment (the reference's Model_ACTV2_Inner): z_H = H_level(z_H, x), one pass of
/// H_layers blocks with gradient, then the heads. Its carry is z_H alone; z_L stays at zeros and is never read.
/// </summary>
public sealed class TransformerInner : RecurrentCore
{
    public readonly ReasoningModule<MixerBlock> H_level;

    public TransformerInner(TransformerConfig config, Generator? generator = null) : base(nameof(TransformerInner), config)
    {
        BuildInputOutput(generator);
        H_level = new ReasoningModule<MixerBlock>(config.HLayers, () => new MixerBlock(config, generator));
        register_module("H_level", H_level);
        BuildInitialStates(generator, lowState: false);
    }

    public override SegmentOutput forward(InnerCarry carry, Tensor inputs, Tensor puzzleIds, IStepObserver? steps = null)
    {
        var x = InputEmbedding(inputs, puzzleIds);
        var zH = H_level.forward(carry.ZH, x, rotary_emb);
        steps?.OnStep(new ReasoningStep(1, StepKind.High, zH, carry.ZL));
        return Output(zH, carry.ZL);
    }

    /// <summary>The state is the output: there is no preliminary update to make.</summary>
    public override Tensor DecodeIntermediate(Tensor zH, Tensor zL)
    {
        using var _ = no_grad();
        return Heads(zH).Logits;
    }
}
