using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Model;

/// <summary>
/// TRM's grid_conv token mixer (ours): a k x k convolution over the square grid. A block is local (a change at one cell
/// reaches only the cells within k/2 rows and columns), puzzle tokens take no part, and bad settings are refused.
/// </summary>
public class GridConvTests
{
    const string NoPuzzle = ", \"puzzle_emb_ndim\": 0, \"puzzle_emb_len\": 0";

    /// <summary>Indices of the tokens whose block output changed when the input token <paramref name="at"/> changed.</summary>
    static int[] Reach(TrmBlock block, int tokens, int at)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = new Generator(7);
        var h = randn(2, tokens, 16, generator: g);
        var before = block.forward(h, null);
        var h2 = h.clone();
        h2[.., at, ..] += randn(2, 16, generator: g);
        var changed = (block.forward(h2, null) - before).abs().amax([0, 2]) > 1e-6f;
        return Enumerable.Range(0, tokens).Where(i => changed[i].item<bool>()).ToArray();
    }

    [Fact]
    public void A_block_reaches_only_the_neighbouring_cells()
    {
        manual_seed(3);
        var c = TrmTests.Small(", \"grid_conv\": 3" + NoPuzzle);
        using var block = new TrmBlock(c, null);
        // 4x4 grid: cell 0 is the top-left corner (neighbours 1, 4, 5); cell 5 has all eight around it.
        Assert.Equal([0, 1, 4, 5], Reach(block, 16, 0));
        Assert.Equal([0, 1, 2, 4, 5, 6, 8, 9, 10], Reach(block, 16, 5));
        Assert.Equal(16 * 16 * 9, block.named_parameters().Where(p => p.name.StartsWith("grid_conv")).Sum(p => p.parameter.numel()));
        Assert.Null(block.self_attn);
        Assert.Null(block.mlp_t);
    }

    [Fact]
    public void Puzzle_tokens_take_no_part_in_the_mixing()
    {
        manual_seed(4);
        var c = TrmTests.Small(", \"grid_conv\": 3, \"puzzle_emb_len\": 2");
        Assert.Equal(18, c.ModelSeqLen);
        using var block = new TrmBlock(c, null);
        // A puzzle token changes only itself; a grid cell (token 2 = cell 0) reaches its grid neighbours only.
        Assert.Equal([1], Reach(block, 18, 1));
        Assert.Equal([2, 3, 6, 7], Reach(block, 18, 2));
    }

    [Fact]
    public void A_model_with_grid_conv_trains()
    {
        manual_seed(5);
        var c = TrmTests.Small(", \"grid_conv\": 3" + NoPuzzle);
        using var model = new ActModel(c);
        var conv = model.named_parameters().Where(p => p.name.Contains("grid_conv")).Select(p => p.parameter).ToList();
        Assert.Equal(2, conv.Count);
        using var scope = NewDisposeScope();
        var inputs = randint(1, 6, [2, 16], generator: new Generator(6));
        var seg = model.inner.forward(model.inner.InitialCarry(2), inputs, zeros(2, ScalarType.Int64), null);
        Assert.Equal(new long[] { 2, 16, 6 }, seg.Logits.shape);
        seg.Logits.square().mean().backward();
        Assert.All(conv, p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }

    [Fact]
    public void A_bfloat16_model_runs_with_float32_weights()
    {
        manual_seed(6);
        var c = TrmTests.Small(", \"grid_conv\": 3, \"forward_dtype\": \"bfloat16\"" + NoPuzzle);
        using var model = new ActModel(c);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var seg = model.inner.forward(model.inner.InitialCarry(2), randint(1, 6, [2, 16], generator: new Generator(8)), zeros(2, ScalarType.Int64), null);
        Assert.True(seg.Logits.isfinite().all().item<bool>());
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Theory]
    [InlineData(", \"grid_conv\": 3, \"mlp_t\": true", "set one of them")]
    [InlineData(", \"grid_conv\": 2", "odd kernel size")]
    [InlineData(", \"grid_conv\": -1", "odd kernel size")]
    public void Bad_settings_are_refused(string extra, string message)
    {
        var e = Assert.ThrowsAny<Exception>(() => TrmTests.Small(extra + NoPuzzle));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_grid_that_is_not_square_is_refused()
    {
        var e = Assert.ThrowsAny<Exception>(() => TrmTests.Small(", \"seq_len\": 15, \"grid_conv\": 3" + NoPuzzle));
        Assert.Contains("needs a square grid", e.Message);
    }
}
