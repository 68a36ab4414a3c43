using Hrm.Model;
using Hrm.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Model;

/// <summary>
/// The cell_groups token mixer (ours; TRM, HRM and the baseline alike): messages along the task's cell groups. For a Sudoku a change at one cell reaches
/// exactly its row, column and box (its 20 peers and itself), puzzle tokens take no part, gradients reach the per-kind
/// maps, and bad settings are refused.
/// </summary>
public class GroupMixerTests
{
    const string NoPuzzle = ", \"puzzle_emb_ndim\": 0, \"puzzle_emb_len\": 0";

    static int[] Reach(nn.Module<Tensor, Tensor> mix, int tokens, int at)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var g = new Generator(7);
        var h = randn(2, tokens, 16, generator: g);
        var before = mix.forward(h);
        var h2 = h.clone();
        h2[.., at, ..] += randn(2, 16, generator: g);
        var changed = (mix.forward(h2) - before).abs().amax([0, 2]) > 1e-6f;
        return Enumerable.Range(0, tokens).Where(i => changed[i].item<bool>()).ToArray();
    }

    sealed class BlockAsModule(MixerBlock block) : nn.Module<Tensor, Tensor>("b")
    {
        public override Tensor forward(Tensor h) => block.forward(h, null);
    }

    static int[] Peers(int cell, int n, int boxRows, int boxCols)
    {
        int r = cell / n, c = cell % n;
        return Enumerable.Range(0, n * n).Where(j => j / n == r || j % n == c
            || (j / n / boxRows == r / boxRows && j % n / boxCols == c / boxCols)).ToArray();
    }

    [Fact]
    public void A_9x9_sudoku_cell_reaches_exactly_its_row_column_and_box()
    {
        var kinds = CellGroups.Resolve("sudoku", 81);
        Assert.Equal(["rows", "columns", "boxes"], kinds.Select(k => k.Name));
        using var mixer = new GroupMixer(kinds, 81, 0, 16, new Generator(1));
        var m = new MixerAsModule(mixer);
        foreach (int cell in new[] { 0, 40, 80, 13 })
        {
            var reach = Reach(m, 81, cell);
            Assert.Equal(21, reach.Length);                 // 20 peers and the cell itself
            Assert.Equal(Peers(cell, 9, 3, 3), reach);
        }
        Assert.Equal(3 * 16 * 16, mixer.parameters().Sum(p => p.numel()));
    }

    sealed class MixerAsModule(GroupMixer mixer) : nn.Module<Tensor, Tensor>("m")
    {
        public override Tensor forward(Tensor h) => mixer.forward(h);
    }

    [Fact]
    public void The_aggregation_is_the_group_mean_per_kind()
    {
        var a = CellGroups.AggregationMatrix(CellGroups.Resolve("sudoku", 16), 16);
        Assert.Equal(new long[] { 48, 16 }, a.shape);
        // Every row of every kind averages its 4 group members: weights 1/4 that sum to 1.
        Assert.True((a.sum(1) - 1).abs().max().item<float>() < 1e-6f);
        Assert.Equal(0.25f, a[0, 1].item<float>());      // rows: cell 0 sees cell 1
        Assert.Equal(0f, a[0, 4].item<float>());         // ... not cell 4 (next row)
        Assert.Equal(0.25f, a[16 + 0, 4].item<float>()); // columns: cell 0 sees cell 4
        Assert.Equal(0.25f, a[32 + 0, 5].item<float>()); // boxes: cell 0 sees cell 5
        Assert.Equal(0f, a[32 + 0, 2].item<float>());
    }

    [Fact]
    public void A_6x6_sudoku_uses_2x3_boxes_and_rows_cols_any_square_grid()
    {
        var boxes = CellGroups.Resolve("sudoku", 36)[2].Groups;
        Assert.Equal([0, 1, 2, 6, 7, 8], boxes[0]);
        var rc = CellGroups.Resolve("rows_cols", 25);
        Assert.Equal(2, rc.Count);
        using var mixer = new GroupMixer(rc, 25, 0, 16, new Generator(1));
        Assert.Equal([2, 5, 6, 7, 8, 9, 12, 17, 22], Reach(new MixerAsModule(mixer), 25, 7));
    }

    [Fact]
    public void In_a_block_puzzle_tokens_take_no_part_and_cells_reach_their_peers()
    {
        manual_seed(4);
        var c = TrmTests.Small(", \"cell_groups\": \"sudoku\", \"puzzle_emb_len\": 2");
        using var block = new MixerBlock(c, new Generator(3));
        var m = new BlockAsModule(block);
        Assert.Equal([1], Reach(m, 18, 1));
        Assert.Equal(Peers(0, 4, 2, 2).Select(j => j + 2).ToArray(), Reach(m, 18, 2));
        Assert.IsType<GroupMixer>(block.mixer);
    }

    [Fact]
    public void A_model_with_cell_groups_trains_and_is_seeded()
    {
        var c = TrmTests.Small(", \"cell_groups\": \"sudoku\"" + NoPuzzle);
        using var model = new ActModel(c, new Generator(5));
        using var twin = new ActModel(c, new Generator(5));
        var mix = model.named_parameters().Where(p => p.name.Contains("group_mixer")).Select(p => p.parameter).ToList();
        Assert.Equal(2, mix.Count);   // one per layer
        Assert.Equal(0f, (mix[0] - twin.named_parameters().First(p => p.name.Contains("group_mixer")).parameter).abs().max().item<float>());
        using var scope = NewDisposeScope();
        var inputs = randint(1, 6, [2, 16], generator: new Generator(6));
        var seg = model.inner.forward(model.inner.InitialCarry(2), inputs, zeros(2, ScalarType.Int64), null);
        Assert.Equal(new long[] { 2, 16, 6 }, seg.Logits.shape);
        seg.Logits.square().mean().backward();
        Assert.All(mix, p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }

    [Theory]
    [InlineData(null, 2)]                // HRM: H 1 + L 1 layers
    [InlineData("transformer", 1)]       // the baseline's H stack
    public void Every_architecture_gets_the_mixer_through_the_same_seam(string? name, int blocksWithMixer)
    {
        // HRM (the seeds' model) and the baseline take cell_groups and grid_conv as one setting, as TRM does: the block
        // is the same class, the mixer comes from the same factory, and the shape line names it.
        var json = "{" + (name is null ? "" : $"\"name\": \"{name}\", ") + "\"seq_len\": 16, \"vocab_size\": 6, \"hidden_size\": 16, " +
                   "\"num_heads\": 2, \"H_layers\": 1, \"L_layers\": 1, \"H_cycles\": 2, \"L_cycles\": 2, \"puzzle_emb_ndim\": 0, \"cell_groups\": \"sudoku\"}";
        var c = Hrm.Interop.ConfigJson.Parse(json, "test");
        Assert.Contains("cell_groups sudoku", c.Shape);
        using var model = new ActModel(c, new Generator(5));
        var mixers = model.modules().OfType<MixerBlock>().Select(b => b.mixer).ToList();
        Assert.Equal(blocksWithMixer, mixers.Count);
        Assert.All(mixers, m => Assert.IsType<GroupMixer>(m));
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("self_attn"));
        Assert.NotEmpty(Hrm.Interop.ReferenceConfig.Unsupported(c));   // the authors' code has no such mixer
        using var scope = NewDisposeScope();
        var inputs = randint(1, 6, [2, 16], generator: new Generator(6));
        var seg = model.inner.forward(model.inner.InitialCarry(2), inputs, zeros(2, ScalarType.Int64), null);
        Assert.Equal(new long[] { 2, 16, 6 }, seg.Logits.shape);
    }

    [Theory]
    [InlineData(", \"cell_groups\": \"sudoku\", \"mlp_t\": true", "set one of them")]
    [InlineData(", \"cell_groups\": \"sudoku\", \"grid_conv\": 3", "set one of them")]
    [InlineData(", \"cell_groups\": \"chess\"", "unknown cell_groups 'chess'")]
    public void Bad_settings_are_refused(string extra, string message)
    {
        var e = Assert.ThrowsAny<Exception>(() => TrmTests.Small(extra + NoPuzzle));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData(", \"cell_groups\": \"sudoku\", \"seq_len\": 25", "needs a 4x4, 6x6 or 9x9 grid")]
    [InlineData(", \"cell_groups\": \"rows_cols\", \"seq_len\": 15", "not a square")]
    public void A_structure_that_does_not_fit_the_grid_is_refused_when_the_model_is_built(string extra, string message)
    {
        var c = TrmTests.Small(extra + NoPuzzle);
        var e = Assert.Throws<HrmException>(() => new MixerBlock(c, null));
        Assert.Contains(message, e.Message);
    }
}
