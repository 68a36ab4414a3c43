using Hrm.Model;
using Hrm.Tasks.Maze;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Model;

/// <summary>
/// Running a model on another grid size than it was trained on (<see cref="ActModel.ForSeqLen"/>): a size-free model
/// (TRM with grid_conv, no positions) gives exactly what a model built for the new size with the same weights gives;
/// a model with a size-bound weight is refused with that weight's name; the segment budget follows the grid side.
/// </summary>
public class CrossSizeTests
{
    const string SizeFree = ", \"grid_conv\": 3, \"pos_encodings\": \"none\", \"puzzle_emb_ndim\": 0, \"puzzle_emb_len\": 0";

    static Tensor Logits(ActModel model, Tensor inputs)
    {
        var batch = new PuzzleBatch(inputs, zeros_like(inputs), zeros(inputs.shape[0], ScalarType.Int64));
        var carry = model.InitialCarry(batch);
        Tensor logits = null!;
        for (int s = 0; s < model.Config.HaltMaxSteps; s++)
        {
            var (next, output) = model.forward(carry, batch);
            carry = next;
            logits = output.Logits;
        }
        return logits;
    }

    [Fact]
    public void A_size_free_model_on_a_bigger_grid_equals_one_built_for_that_size()
    {
        manual_seed(11);
        var c = TrmTests.Small(SizeFree);            // 4x4, 16 tokens
        using var small = new ActModel(c);
        small.eval();
        using var big = small.ForSeqLen(49);         // 7x7
        Assert.Equal(49, big.Config.SeqLen);
        using var built = new ActModel(c with { SeqLen = 49 });
        built.load_state_dict(small.state_dict());
        built.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var inputs = randint(1, 6, [2, 49], generator: new Generator(12));
        var a = Logits(big, inputs);
        var b = Logits(built, inputs);
        Assert.Equal(new long[] { 2, 49, 6 }, a.shape);
        Assert.True(a.allclose(b, 0, 0), "the resized model must compute exactly what a model built for the size computes");
        // The weights are shared by value, not changed: the original still runs its own size.
        Assert.Equal(new long[] { 2, 16, 6 }, Logits(small, randint(1, 6, [2, 16], generator: new Generator(13))).shape);
    }

    [Theory]
    [InlineData(", \"mlp_t\": true, \"pos_encodings\": \"none\", \"puzzle_emb_ndim\": 0, \"puzzle_emb_len\": 0", "mlp_t")]
    [InlineData(", \"grid_conv\": 3, \"pos_encodings\": \"learned\", \"puzzle_emb_ndim\": 0, \"puzzle_emb_len\": 0", "embed_pos")]
    [InlineData(", \"pos_encodings\": \"rope\"", "rotary_emb")]
    public void A_model_with_a_size_bound_weight_is_refused_by_name(string extra, string weight)
    {
        manual_seed(14);
        using var model = new ActModel(TrmTests.Small(extra));
        var e = Assert.Throws<HrmException>(() => model.ForSeqLen(49));
        Assert.Contains(weight, e.Message);
        Assert.Contains("4x4", e.Message);
        Assert.Contains("7x7", e.Message);
    }

    [Theory]
    [InlineData(0.0, 7, 3)]      // off: the trained budget at every size
    [InlineData(2.2, 4, 3)]      // the trained side keeps halt_max_steps
    [InlineData(2.2, 7, 16)]     // ceil(2.2 x 7) = 16
    [InlineData(2.2, 30, 66)]
    [InlineData(2.0, 30, 60)]    // exact products are not rounded up by floating-point noise
    public void The_segment_budget_follows_the_grid_side(double perSide, int side, int expected)
    {
        var c = TrmTests.Small(SizeFree + $", \"halt_max_steps_per_side\": {perSide.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        Assert.Equal(expected, c.HaltMaxStepsForSide(side));
        if (side != 4)
        {
            using var model = new ActModel(c);
            using var resized = model.ForSeqLen(side * side);
            Assert.Equal(expected, resized.Config.HaltMaxSteps);
        }
    }

    [Fact]
    public void Sized_models_build_each_size_once_and_own_them_all()
    {
        manual_seed(15);
        var models = new SizedModels(new ActModel(TrmTests.Small(SizeFree)));
        Assert.Same(models.Model, models.For(16));               // its own size: the model itself
        var big = models.For(49);
        Assert.Same(big, models.For(49));                        // built once per size
        Assert.Equal(49, big.Config.SeqLen);
        Assert.NotSame(big, models.For(36));
        models.Dispose();
        models.Dispose();                                        // a second dispose does nothing
        Assert.Throws<ObjectDisposedException>(() => models.For(25));
    }
}
