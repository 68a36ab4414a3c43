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
/// A post-norm transformer block: h = rmsnorm(h + attn(h)); h = rmsnorm(h + mlp(h)). Post-norm (not pre-norm) is the
/// reference's choice: the recurrent state is re-normalised after every block, which keeps it bounded across cycles.
/// </summary>
public sealed class HrmBlock : nn.Module, IReasoningBlock
{
    public readonly Attention self_attn;
    public readonly SwiGlu mlp;
    readonly double eps;

    public HrmBlock(BlockConfig c, Generator? generator) : base(nameof(HrmBlock))
    {
        self_attn = new Attention(c, generator);
        mlp = new SwiGlu(c.HiddenSize, c.SwiGluIntermediate, generator);
        eps = c.RmsNormEps;
        register_module("self_attn", self_attn);
        register_module("mlp", mlp);
    }

    public Tensor forward(Tensor h, RotaryEmbedding? rotary)
    {
        h = RmsNorm.Apply(h + self_attn.forward(h, rotary), eps);
        return RmsNorm.Apply(h + mlp.forward(h), eps);
    }
}

/// <summary>A transformer block that a reasoning module stacks: HRM's <see cref="HrmBlock"/>, TRM's TrmBlock.</summary>
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
