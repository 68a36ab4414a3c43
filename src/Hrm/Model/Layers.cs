using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Parameter = TorchSharp.Modules.Parameter;

namespace Hrm.Model;

// The transformer building blocks of HRM, in the reference's order (models/layers.py): casted linear and embedding,
// rotary embedding, attention, SwiGLU, RMSNorm. Parameter names follow the reference so state dicts map one to one.

/// <summary>Linear layer with float32 weights cast to the input's dtype on use (there is no autocast in TorchSharp).</summary>
public sealed class CastedLinear : nn.Module
{
    public readonly Parameter weight;   // [out, in]
    public readonly Parameter? bias;    // [out]

    public CastedLinear(int inFeatures, int outFeatures, bool bias, Generator? generator) : base(nameof(CastedLinear))
    {
        // Truncated LeCun normal: std = 1/sqrt(fan_in).
        weight = new Parameter(Init.TruncNormal_(empty(outFeatures, inFeatures), 1.0 / Math.Sqrt(inFeatures), generator));
        register_parameter("weight", weight);
        if (bias)
        {
            this.bias = new Parameter(zeros(outFeatures));
            register_parameter("bias", this.bias);
        }
    }

    public Tensor forward(Tensor input) =>
        F.linear(input, weight.to(input.dtype), bias?.to(input.dtype));
}

/// <summary>Embedding table with float32 weights cast to the forward dtype on use.</summary>
public sealed class CastedEmbedding : nn.Module
{
    public readonly Parameter embedding_weight;   // [num, dim]
    readonly ScalarType castTo;

    public CastedEmbedding(int num, int dim, double initStd, ScalarType castTo, Generator? generator) : base(nameof(CastedEmbedding))
    {
        this.castTo = castTo;
        embedding_weight = new Parameter(Init.TruncNormal_(empty(num, dim), initStd, generator));
        register_parameter("embedding_weight", embedding_weight);
    }

    public Tensor forward(Tensor ids) => embedding_weight.to(castTo).index_select(0, ids.flatten()).view([.. ids.shape, -1]);
}

/// <summary>
/// Rotary position tables (float32) for "rotate half" RoPE: inv_freq[i] = theta^(-2i/d), angles t*inv_freq for every
/// position (puzzle-embedding tokens first), duplicated to head_dim as cat(freqs, freqs).
/// </summary>
public sealed class RotaryEmbedding : nn.Module
{
    // Field names matter: TorchSharp registers Tensor fields as buffers by name; these are registered non-persistent below.
    readonly Tensor cos_cached;          // [S, head_dim] float32
    readonly Tensor sin_cached;
    readonly Tensor cos_heads;           // [S, 1, head_dim]: broadcast over heads
    readonly Tensor sin_signed_heads;    // [S, 1, head_dim]: cat(-sin[:half], sin[half:]), see Apply

    public RotaryEmbedding(int dim, int maxPositions, double theta) : this(OneDimensional(dim, maxPositions, theta)) { }

    /// <summary>
    /// 2-D rotary positions for a square grid of <paramref name="side"/> x <paramref name="side"/> tokens (row-major)
    /// after <paramref name="prefix"/> puzzle-embedding tokens: the first half of each rotated pair set turns with the
    /// row, the second with the column, so q·k depends on (row offset, column offset) alone and a step up or down the
    /// grid looks the same everywhere, unlike 1-D positions over the flattened grid. Prefix tokens sit on the diagonal
    /// before the grid (row = column = -1, -2, ...). Needs dim % 4 == 0.
    /// </summary>
    public static RotaryEmbedding Grid(int dim, int side, int prefix, double theta) => new(GridAngles(dim, side, prefix, theta));

    static Tensor GridAngles(int dim, int side, int prefix, double theta)
    {
        using var scope = NewDisposeScope();
        int quarter = dim / 4;
        var invFreq = 1.0f / pow(tensor((float)theta), arange(0, quarter, dtype: float32) / quarter);
        var cells = arange(side * side, dtype: int64);
        var before = -arange(prefix, 0, -1, dtype: float32);
        var rows = cat([before, cells.div(side, RoundingMode.floor).to(float32)]);
        var cols = cat([before, (cells % side).to(float32)]);
        return cat([outer(rows, invFreq), outer(cols, invFreq)], -1).MoveToOuterDisposeScope();   // [P + side^2, dim/2]
    }

    static Tensor OneDimensional(int dim, int maxPositions, double theta)
    {
        using var scope = NewDisposeScope();
        var invFreq = 1.0f / pow(tensor((float)theta), arange(0, dim, 2, dtype: float32) / dim);
        var t = arange(maxPositions, dtype: float32);
        return outer(t, invFreq).MoveToOuterDisposeScope();
    }

    /// <summary>From the rotation angle of each position and pair, [S, head_dim / 2].</summary>
    RotaryEmbedding(Tensor freqs) : base(nameof(RotaryEmbedding))
    {
        using var scope = NewDisposeScope();
        using var owned = freqs;   // built by the caller only to be turned into the tables
        var emb = cat([freqs, freqs], -1);
        cos_cached = emb.cos().MoveToOuterDisposeScope();
        sin_cached = emb.sin().MoveToOuterDisposeScope();
        var half = freqs.sin();
        cos_heads = cos_cached.unsqueeze(-2).contiguous().MoveToOuterDisposeScope();
        sin_signed_heads = cat([-half, half], -1).unsqueeze(-2).contiguous().MoveToOuterDisposeScope();
        // Not persistent: the reference rebuilds them from the config, and they are not in its state dict.
        register_buffer("cos_cached", cos_cached, persistent: false);
        register_buffer("sin_cached", sin_cached, persistent: false);
        register_buffer("cos_heads", cos_heads, persistent: false);
        register_buffer("sin_signed_heads", sin_signed_heads, persistent: false);
    }

    /// <summary>
    /// Rotates x [B, S, heads, head_dim] (any strides; q and k are rotated in one call) in float32 and casts back.
    /// The reference computes x*cos + rotate_half(x)*sin with rotate_half(x) = cat(-x2, x1). Since
    /// cat(-x2, x1)*sin == cat(x2, x1)*cat(-sin1, sin2) exactly (negation is exact), this is
    /// addcmul(x*cos, cat(x2, x1), sin_signed): three kernels for q and k together, where rotating them separately
    /// the reference's way took ten.
    /// </summary>
    public Tensor Apply(Tensor x)
    {
        var dtype = x.dtype;
        var xf = x.to(float32);
        long half = xf.shape[^1] / 2;
        var swapped = cat([xf[TensorIndex.Ellipsis, TensorIndex.Slice(half)], xf[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)]], -1);
        return addcmul(xf * cos_heads, swapped, sin_signed_heads, 1).to(dtype);
    }
}

/// <summary>Non-causal multi-head self-attention with one fused QKV projection, RoPE and no biases; optionally a learned
/// 2-D relative position bias on the attention scores (<see cref="BlockConfig.RelBiasSide"/>).</summary>
public sealed class Attention : nn.Module
{
    public readonly CastedLinear qkv_proj;   // hidden -> 3*hidden, output [q | k | v], head-major
    public readonly CastedLinear o_proj;     // hidden -> hidden
    /// <summary>[heads, (2N-1)^2 + 1]: one score per head and grid offset, the last one for any pair with a prefix token.</summary>
    public readonly Parameter? rel_bias;
    readonly Tensor? rel_index;              // [P+S, P+S] int64 into rel_bias's last axis
    readonly int numHeads, headDim;
    readonly double relBiasScale;

    public Attention(BlockConfig c, Generator? generator) : base(nameof(Attention))
    {
        numHeads = c.NumHeads;
        headDim = c.HiddenSize / c.NumHeads;
        qkv_proj = new CastedLinear(c.HiddenSize, 3 * c.HiddenSize, bias: false, generator);
        o_proj = new CastedLinear(c.HiddenSize, c.HiddenSize, bias: false, generator);
        register_module("qkv_proj", qkv_proj);
        register_module("o_proj", o_proj);
        if (c.RelBiasSide > 0)
        {
            int n = c.RelBiasSide, span = 2 * n - 1;
            rel_bias = new Parameter(zeros(numHeads, span * span + 1));
            relBiasScale = c.RelBiasScale;
            register_parameter("rel_bias", rel_bias);
            rel_index = RelativeIndex(n, c.RelBiasPrefix);
            register_buffer("rel_index", rel_index, persistent: false);
        }
    }

    /// <summary>For every (query, key) pair of the sequence (prefix tokens first, then the row-major grid), the index of
    /// its offset (row_k - row_q, col_k - col_q) in a (2N-1) x (2N-1) table; pairs with a prefix token get (2N-1)^2.</summary>
    public static Tensor RelativeIndex(int n, int prefix)
    {
        using var scope = NewDisposeScope();
        int span = 2 * n - 1;
        var cells = arange(n * n, dtype: int64);
        var rows = cells.div(n, RoundingMode.floor);
        var cols = cells % n;
        var dr = rows.unsqueeze(0) - rows.unsqueeze(1) + (n - 1);   // [query, key]
        var dc = cols.unsqueeze(0) - cols.unsqueeze(1) + (n - 1);
        var grid = dr * span + dc;
        var all = full(prefix + n * n, prefix + n * n, (long)span * span, dtype: int64);
        all[TensorIndex.Slice(prefix), TensorIndex.Slice(prefix)] = grid;
        return all.MoveToOuterDisposeScope();
    }

    public Tensor forward(Tensor h, RotaryEmbedding? rotary)
    {
        long b = h.shape[0], s = h.shape[1];
        var qkv = qkv_proj.forward(h).view(b, s, 3 * numHeads, headDim);            // [B, S, 3*heads, head_dim]
        var qk = qkv[.., .., ..(2 * numHeads)];
        var v = qkv[.., .., (2 * numHeads)..];
        if (rotary is not null) qk = rotary.Apply(qk);   // q and k together: half the kernel launches
        var q = qk[.., .., ..numHeads].transpose(1, 2);   // [B, heads, S, head_dim]
        var k = qk[.., .., numHeads..].transpose(1, 2);
        Tensor o;
        if (rel_bias is null)
            // Default scale 1/sqrt(head_dim) is the reference's.
            o = F.scaled_dot_product_attention(q, k, v.transpose(1, 2));
        else
        {
            // softmax(q k^T / sqrt(d) + bias) v written out, so the bias's gradient comes from plain autograd ops
            // rather than from a fused kernel's attn_mask path.
            var bias = rel_bias.index_select(1, rel_index!.flatten()).view(numHeads, s, s).mul(relBiasScale).to(q.dtype);   // [heads, S, S], broadcast over B
            var scores = torch.matmul(q, k.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(headDim)).add_(bias);   // [B, heads, S, S]
            o = torch.matmul(scores.softmax(-1), v.transpose(1, 2));
        }
        return o_proj.forward(o.transpose(1, 2).reshape(b, s, numHeads * headDim));   // [B, S, hidden]
    }
}

/// <summary>SwiGLU MLP: down(silu(gate) * up) with one fused gate/up projection (gate first).</summary>
public sealed class SwiGlu : nn.Module
{
    public readonly CastedLinear gate_up_proj;   // hidden -> 2*inter
    public readonly CastedLinear down_proj;      // inter -> hidden

    /// <summary>The reference's width rule: round(expansion * width * 2/3) (half to even, as Python) rounded up to a
    /// multiple of 256.</summary>
    public static int IntermediateSize(int width, double expansion)
    {
        int inner = (int)Math.Round(expansion * width * 2.0 / 3.0, MidpointRounding.ToEven);
        return (inner + 255) / 256 * 256;
    }

    public SwiGlu(int hidden, int intermediate, Generator? generator) : base(nameof(SwiGlu))
    {
        gate_up_proj = new CastedLinear(hidden, 2 * intermediate, bias: false, generator);
        down_proj = new CastedLinear(intermediate, hidden, bias: false, generator);
        register_module("gate_up_proj", gate_up_proj);
        register_module("down_proj", down_proj);
    }

    public Tensor forward(Tensor x)
    {
        var gu = gate_up_proj.forward(x).chunk(2, -1);
        return down_proj.forward(F.silu(gu[0]) * gu[1]);
    }
}

public static class RmsNorm
{
    /// <summary>RMSNorm without a learnable weight, computed in float32 and cast back (the reference's rms_norm).</summary>
    public static Tensor Apply(Tensor h, double eps)
    {
        var dtype = h.dtype;
        var hf = h.to(float32);
        var variance = hf.square().mean([-1], keepdim: true);
        return (hf * rsqrt(variance + eps)).to(dtype);
    }
}
