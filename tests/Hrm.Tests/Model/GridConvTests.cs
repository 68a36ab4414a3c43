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
    static int[] Reach(MixerBlock block, int tokens, int at)
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
        using var block = new MixerBlock(c, null);
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
        using var block = new MixerBlock(c, null);
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

    [Fact]
    public void Grid_conv_weights_come_from_the_seeded_generator_not_the_global_one()
    {
        var c = TrmTests.Small(", \"grid_conv\": 3" + NoPuzzle);
        manual_seed(1);
        using var a = new MixerBlock(c, new Generator(42));
        manual_seed(2);
        using var b = new MixerBlock(c, new Generator(42));
        var wa = (GridConvMixer)a.mixer;
        Assert.Equal(0f, (wa.weight - ((GridConvMixer)b.mixer).weight).abs().max().item<float>());
        // PyTorch's default Conv2d bound 1/sqrt(fan_in), fan_in = 16 * 3 * 3.
        Assert.True(wa.weight.abs().max().item<float>() <= 1 / Math.Sqrt(16 * 9));
    }

    [Fact]
    public void The_mixer_is_the_convolution_with_residual_and_norm_and_reads_the_grid_side_from_its_input()
    {
        var c = TrmTests.Small(", \"grid_conv\": 3" + NoPuzzle);
        using var block = new MixerBlock(c, new Generator(3));
        var mixer = (GridConvMixer)block.mixer;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (int side in new[] { 4, 7 })   // the config's 4x4 grid and a 7x7 one: the weights fit both
        {
            var h = randn(2, side * side, 16, generator: new Generator(9));
            var conv = nn.functional.conv2d(h.transpose(1, 2).reshape(2, 16, side, side), mixer.weight, padding: [1, 1])
                .reshape(2, 16, side * side).transpose(1, 2);
            var expected = RmsNorm.Apply(h + conv, c.RmsNormEps);
            Assert.True((mixer.Apply(h, null, c.RmsNormEps) - expected).abs().max().item<float>() < 1e-6f);
        }
        Assert.False(mixer.DependsOnSeqLen);
        Assert.Contains("not a square", Assert.Throws<HrmException>(() => mixer.Apply(randn(1, 15, 16), null, 1e-5)).Message);
    }

    [Fact]
    public void Grid_minmax_reaches_the_four_neighbours_and_computes_their_max_and_min()
    {
        // A 1x1 convolution mixes nothing across cells, so what reaches further is the min/max aggregation alone: the
        // cell itself and its 4 neighbours (not the diagonals).
        manual_seed(3);
        var c = TrmTests.Small(", \"grid_conv\": 1, \"grid_minmax\": true" + NoPuzzle);
        using var block = new MixerBlock(c, new Generator(2));
        Assert.Equal([0, 1, 4], Reach(block, 16, 0));
        Assert.Equal([1, 4, 5, 6, 9], Reach(block, 16, 5));
        var mixer = (GridConvMixer)block.mixer;
        Assert.Equal(new long[] { 16, 32 }, mixer.minmax!.shape);
        Assert.Contains("grid_conv 1 + minmax", c.Shape);

        // The aggregation itself on a 3x3 image: the centre's neighbours are 1, 3, 5, 7; a corner counts itself.
        using var scope = NewDisposeScope();
        var image = arange(9, float32).reshape(1, 1, 3, 3);
        var mm = GridConvMixer.NeighbourMaxMin(image);
        Assert.Equal(new long[] { 1, 2, 3, 3 }, mm.shape);
        Assert.Equal(7f, mm[0, 0, 1, 1].item<float>());
        Assert.Equal(1f, mm[0, 1, 1, 1].item<float>());
        Assert.Equal(3f, mm[0, 0, 0, 0].item<float>());   // corner 0: neighbours 1 and 3, itself for the missing two
        Assert.Equal(0f, mm[0, 1, 0, 0].item<float>());
    }

    [Fact]
    public void Grid_minmax_without_grid_conv_is_refused_and_models_without_it_draw_the_same_weights()
    {
        var e = Assert.ThrowsAny<Exception>(() => TrmTests.Small(", \"grid_minmax\": true" + NoPuzzle));
        Assert.Contains("grid_minmax is a part of the grid_conv mixer", e.Message);
        // The extra map is drawn after the kernel: a model with it starts from the same kernel as one without.
        using var a = new MixerBlock(TrmTests.Small(", \"grid_conv\": 3" + NoPuzzle), new Generator(42));
        using var b = new MixerBlock(TrmTests.Small(", \"grid_conv\": 3, \"grid_minmax\": true" + NoPuzzle), new Generator(42));
        Assert.Equal(0f, (((GridConvMixer)a.mixer).weight - ((GridConvMixer)b.mixer).weight).abs().max().item<float>());
        Assert.Null(((GridConvMixer)a.mixer).minmax);
    }
}
