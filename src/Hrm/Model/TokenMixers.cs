using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Parameter = TorchSharp.Modules.Parameter;

namespace Hrm.Model;

/// <summary>
/// The first half of a post-norm block: how the tokens exchange information, including its residual and norm
/// (<c>h = rms_norm(h + mix(h))</c> for most mixers; mlp_t normalises over the positions). Each mixer owns one module
/// registered under the reference's name (<see cref="Name"/>), so state dicts keep the authors' tensor names.
/// A new mixer is one class here and one line in <see cref="TokenMixers.Create"/>.
/// </summary>
public interface ITokenMixer
{
    /// <summary>The state-dict name of the mixer's module inside a block ("self_attn", "mlp_t", "grid_conv").</summary>
    string Name { get; }
    nn.Module Module { get; }
    /// <summary>Whether the mixer's weights depend on the sequence length (mlp_t's do; attention's and a convolution's
    /// do not): a size-free mixer can run on grids of another size.</summary>
    bool DependsOnSeqLen { get; }
    /// <summary>h after mixing, residual and norm; <paramref name="h"/> is [B, P+S, hidden].</summary>
    Tensor Apply(Tensor h, RotaryEmbedding? rotary, double eps);
}

/// <summary>Builds the token mixer a config asks for (attention unless grid_conv or cell_groups is set, or TRM's mlp_t):
/// the one place every architecture (HRM's H and L modules, TRM's network, the baseline's stack) gets its mixer from.</summary>
public static class TokenMixers
{
    public static ITokenMixer Create(ModelConfig c, Generator? generator) =>
        c.CellGroups != "" ? new GroupMixer(Hrm.Tasks.CellGroups.Resolve(c.CellGroups, c.SeqLen), c.SeqLen, c.PuzzleEmbLen, c.HiddenSize, generator)
        : c.GridConv > 0 ? new GridConvMixer(c.HiddenSize, c.GridConv, c.PuzzleEmbLen, generator, c.GridMinMax)
        : c is TrmConfig { MlpT: true } t ? new MlpTMixer(new SwiGlu(t.ModelSeqLen, t.MlpTIntermediate, generator))
        : new AttentionMixer(new Attention(c.Block, generator));
}

/// <summary>Self-attention (the reference's default): h = rms_norm(h + attn(h)).</summary>
public sealed class AttentionMixer(Attention attention) : ITokenMixer
{
    public string Name => "self_attn";
    public nn.Module Module => attention;
    public Attention Attention => attention;
    public bool DependsOnSeqLen => false;
    public Tensor Apply(Tensor h, RotaryEmbedding? rotary, double eps) => RmsNorm.Apply(h + attention.forward(h, rotary), eps);
}

/// <summary>The reference's mlp_t: a SwiGLU over the sequence axis. It transposes to [B, hidden, P+S], so its residual
/// norm normalises each channel over the positions.</summary>
public sealed class MlpTMixer(SwiGlu mlp) : ITokenMixer
{
    public string Name => "mlp_t";
    public nn.Module Module => mlp;
    public SwiGlu Mlp => mlp;
    public bool DependsOnSeqLen => true;
    public Tensor Apply(Tensor h, RotaryEmbedding? rotary, double eps)
    {
        var t = h.transpose(1, 2);
        return RmsNorm.Apply(t + mlp.forward(t), eps).transpose(1, 2);
    }
}

/// <summary>
/// Ours, not in the reference: a k x k convolution over the square grid of cells (hidden -> hidden, no bias, zero
/// padding at the border). The same kernel serves every cell, so the weights do not depend on the grid size: the grid
/// side is read from the input (tokens - prefix = side^2), and one model runs on any square grid. The first
/// <c>prefix</c> tokens (puzzle embeddings) get a zero mixer output and take no part.
/// With <c>minMax</c> (the config key grid_minmax) the mixer also takes, per channel, the largest and the smallest value
/// among each cell's 4 neighbours (a cell at the border counts itself in place of a missing neighbour) and adds a
/// linear map of the two to the convolution's output: an aggregation that can carry a quantity like a distance, which
/// grows with the grid, one min at a time (Bellman-Ford's step), where a weighted sum has to learn it anew per size.
/// </summary>
public sealed class GridConvMixer : nn.Module, ITokenMixer
{
    public readonly Parameter weight;   // [hidden, hidden, k, k], as nn.Conv2d's
    /// <summary>[hidden, 2 hidden]: the map of (neighbour max, neighbour min) per channel; null without grid_minmax.</summary>
    public readonly Parameter? minmax;
    readonly int prefix, pad;

    public GridConvMixer(int hidden, int kernel, int prefix, Generator? generator, bool minMax = false) : base(nameof(GridConvMixer))
    {
        (this.prefix, pad) = (prefix, kernel / 2);
        Hrm.Runtime.NnpackSwitch.Disable();   // no NNPACK warning per convolution on CPUs where it cannot start
        // PyTorch's default Conv2d init (kaiming-uniform with a = sqrt(5): uniform within 1/sqrt(fan_in)), drawn from the
        // model's seeded generator.
        double bound = 1.0 / Math.Sqrt((double)hidden * kernel * kernel);
        using (no_grad())
            weight = new Parameter(empty(hidden, hidden, kernel, kernel).uniform_(-bound, bound, generator));
        register_parameter("weight", weight);
        if (minMax)
        {
            // nn.Linear's default init, drawn after the kernel so that models without it draw the same numbers as before.
            double b2 = 1.0 / Math.Sqrt(2.0 * hidden);
            using (no_grad())
                minmax = new Parameter(empty(hidden, 2 * hidden).uniform_(-b2, b2, generator));
            register_parameter("minmax", minmax);
        }
    }

    public string Name => "grid_conv";
    public nn.Module Module => this;
    public bool DependsOnSeqLen => false;

    public Tensor Apply(Tensor h, RotaryEmbedding? rotary, double eps)
    {
        long b = h.shape[0], d = h.shape[2], cells = h.shape[1] - prefix;
        int side = Hrm.Tasks.GridSize.SquareSide(cells) is > 0 and var n ? n : throw new HrmException($"grid_conv needs a square grid, but {cells} cells are not a square");
        var grid = prefix > 0 ? h.narrow(1, prefix, cells) : h;
        // The weight is cast to the forward dtype, as CastedLinear does (bfloat16 runs keep float32 parameters).
        // [B, cells, D] is already the channels-last layout of a [B, D, side, side] image: view it as one (no copy), let
        // the convolution run channels-last, and view its output back the same way.
        var image = grid.reshape(b, side, side, d).permute(0, 3, 1, 2);
        var mixed = F.conv2d(image, weight.to(h.dtype), padding: [pad, pad]).permute(0, 2, 3, 1).reshape(b, cells, d);
        if (minmax is not null) mixed = mixed + F.linear(NeighbourMaxMin(image).permute(0, 2, 3, 1).reshape(b, cells, 2 * d), minmax.to(h.dtype));
        if (prefix > 0) mixed = cat([zeros(b, prefix, d, h.dtype, h.device), mixed], 1);
        return RmsNorm.Apply(h + mixed, eps);
    }

    /// <summary>[B, 2C, N, N]: per channel the max, then the min, over the 4 neighbours of each cell of a [B, C, N, N] image
    /// (edge cells take their own value where a neighbour is missing, so the border adds nothing new).</summary>
    public static Tensor NeighbourMaxMin(Tensor image)
    {
        long n = image.shape[2];
        var p = F.pad(image, [1, 1, 1, 1], PaddingModes.Replicate);
        var up = p.narrow(2, 0, n).narrow(3, 1, n);
        var down = p.narrow(2, 2, n).narrow(3, 1, n);
        var left = p.narrow(2, 1, n).narrow(3, 0, n);
        var right = p.narrow(2, 1, n).narrow(3, 2, n);
        return cat([maximum(maximum(up, down), maximum(left, right)), minimum(minimum(up, down), minimum(left, right))], 1);
    }
}
