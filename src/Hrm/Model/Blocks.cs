using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>What a transformer block needs to know, shared by every architecture: width, heads, SwiGLU expansion, norm
/// eps, and for a learned 2-D relative attention bias the grid side and the number of prefix tokens before the grid
/// (<see cref="RelBiasSide"/> 0: no such bias).</summary>
public sealed record BlockConfig(int HiddenSize, int NumHeads, double Expansion, double RmsNormEps, int RelBiasSide = 0, int RelBiasPrefix = 0, double RelBiasScale = 1.0)
{
    /// <summary>SwiGLU width: round(expansion * hidden * 2/3) (half to even, as Python) rounded up to a multiple of 256.</summary>
    public int SwiGluIntermediate => SwiGlu.IntermediateSize(HiddenSize, Expansion);
}

/// <summary>
/// The post-norm block every architecture stacks (HRM's H and L modules, TRM's single network, the baseline): a token
/// mixer (<see cref="ITokenMixer"/>: self-attention as in the reference, TRM's mlp_t, or our grid_conv and cell-group
/// mixers), then the SwiGLU MLP: h = rms_norm(h + mix(h)); h = rms_norm(h + mlp(h)). Post-norm (not pre-norm) is the
/// reference's choice: the recurrent state is re-normalised after every block, which keeps it bounded across cycles.
/// </summary>
public sealed class MixerBlock : nn.Module, IReasoningBlock
{
    public readonly ITokenMixer mixer;
    public readonly SwiGlu mlp;
    readonly double eps;

    public MixerBlock(ModelConfig c, Generator? generator) : base(nameof(MixerBlock))
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

/// <summary>A block that a reasoning module stacks (<see cref="MixerBlock"/>).</summary>
public interface IReasoningBlock
{
    Tensor forward(Tensor h, RotaryEmbedding? rotary);
}

/// <summary>
/// A reasoning module (HRM's H or L, TRM's single network, the baseline's stack): add the input injection, then run
/// the blocks in order.
/// </summary>
public sealed class ReasoningModule<TBlock> : nn.Module where TBlock : nn.Module, IReasoningBlock
{
    public readonly TorchSharp.Modules.ModuleList<TBlock> layers;

    /// <param name="block">Builds one block; called <paramref name="numLayers"/> times in order (the draw order of init).</param>
    public ReasoningModule(int numLayers, Func<TBlock> block) : base("ReasoningModule")
    {
        layers = nn.ModuleList(Enumerable.Range(0, numLayers).Select(_ => block()).ToArray());
        register_module("layers", layers);
    }

    public Tensor forward(Tensor h, Tensor injection, RotaryEmbedding? rotary)
    {
        // Release each block's temporaries as soon as the module returns, instead of at the end of the training step:
        // a segment runs H_cycles x L_cycles module calls, and holding all of them multiplies peak memory. Tensors the
        // autograd graph needs stay alive through the graph's own references.
        using var scope = NewDisposeScope();
        h = h + injection;
        foreach (var layer in layers) h = layer.forward(h, rotary);
        return h.MoveToOuterDisposeScope();
    }
}
