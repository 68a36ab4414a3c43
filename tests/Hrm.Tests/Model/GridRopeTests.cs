using Hrm.Model;
using static TorchSharp.torch;

namespace Hrm.Tests.Model;

public class GridRopeTests
{
    static float Dot(float[] a, int i, int j, int d) => Enumerable.Range(0, d).Sum(k => a[i * d + k] * a[j * d + k]);

    [Fact]
    public void GridRopeRotatesByRowAndColumnSoDotProductsDependOnTheOffsetOnly()
    {
        // head_dim 8: pairs (0,4), (1,5) turn with the row, (2,6), (3,7) with the column; inv_freq [1, 1/100] per axis.
        const int side = 4, d = 8, prefix = 1;
        using var rope = RotaryEmbedding.Grid(d, side, prefix, theta: 10000);
        var one = new float[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        int seq = prefix + side * side;
        var x = tensor(Enumerable.Repeat(one, seq).SelectMany(v => v).ToArray(), [1, seq, 1, d]);
        var y = rope.Apply(x).data<float>().ToArray();

        int Cell(int r, int c) => prefix + r * side + c;
        Assert.Equal(one, y[(Cell(0, 0) * d)..(Cell(0, 0) * d + d)]);   // (0, 0) is not rotated
        // (row 2, column 0): pair (0,4) turned by 2 rad, the column pairs untouched.
        int at = Cell(2, 0) * d;
        Assert.Equal(1 * Math.Cos(2) - 5 * Math.Sin(2), y[at], 5);
        Assert.Equal(5 * Math.Cos(2) + 1 * Math.Sin(2), y[at + 4], 5);
        Assert.Equal(3f, y[at + 2], 5);
        Assert.Equal(8f, y[at + 7], 5);

        // The same offset gives the same q·k anywhere on the grid; one step down differs from one step right.
        float down = Dot(y, Cell(0, 1), Cell(1, 1), d);
        Assert.Equal(down, Dot(y, Cell(2, 3), Cell(3, 3), d), 4);
        Assert.Equal(Dot(y, Cell(0, 0), Cell(0, 1), d), Dot(y, Cell(3, 2), Cell(3, 3), d), 4);
        Assert.NotEqual(down, Dot(y, Cell(1, 0), Cell(1, 1), d), 2);
    }

    [Fact]
    public void Rope2dNeedsASquareGridAndAHeadDimOfFour()
    {
        var ok = new HrmConfig { SeqLen = 81, HiddenSize = 64, NumHeads = 2, PosEncodings = "rope2d", ForwardDtype = "float32" };
        Assert.Equal(9, ok.Validate().GridSide);
        Assert.Contains("not a square", Assert.Throws<HrmException>(() => (ok with { SeqLen = 80 }).Validate()).Message);
        Assert.Contains("multiple of 4", Assert.Throws<HrmException>(() => (ok with { HiddenSize = 60, NumHeads = 10 }).Validate()).Message);
    }
}

public class GradCyclesTests
{
    static (Tensor Logits, Tensor? CarryGrad, Tensor EmbedGrad) Run(int gradCycles)
    {
        var cfg = new HrmConfig
        {
            BatchSize = 2, SeqLen = 9, VocabSize = 6, PuzzleEmbNdim = 0, HiddenSize = 16, NumHeads = 2, HLayers = 1, LLayers = 1,
            HCycles = 2, LCycles = 2, PosEncodings = "rope2d", ForwardDtype = "float32", GradHCycles = gradCycles,
        };
        using var inner = new HrmInner(cfg, new TorchSharp.torch.Generator(3));
        var g = new TorchSharp.torch.Generator(4);
        var zL = randn([2, 9, 16], generator: g).requires_grad_(true);
        var zH = randn([2, 9, 16], generator: g);
        var inputs = randint(1, 5, [2, 9], generator: g, dtype: ScalarType.Int32);
        var output = inner.forward(new InnerCarry(zH, zL), inputs, zeros(2, ScalarType.Int32));
        output.Logits.square().sum().backward();
        return (output.Logits.detach().clone(), zL.grad?.clone(), inner.embed_tokens.embedding_weight.grad!.clone());
    }

    [Fact]
    public void GradHCyclesKeepsTheForwardAndDeepensTheGradient()
    {
        var (oneStep, oneStepCarryGrad, oneStepEmbed) = Run(0);
        var (full, fullCarryGrad, fullEmbed) = Run(2);
        Assert.True(oneStep.allclose(full, rtol: 1e-5, atol: 1e-6));   // same numbers forward
        Assert.Null(oneStepCarryGrad);                                   // one-step: the carry is outside the graph
        Assert.NotNull(fullCarryGrad);                                   // full backprop reaches the segment's start
        Assert.True(fullCarryGrad!.abs().sum().item<float>() > 0);
        Assert.False(oneStepEmbed.allclose(fullEmbed));                  // x enters every L step's gradient
        Assert.Throws<HrmException>(() => new HrmConfig { HCycles = 2, GradHCycles = 3, ForwardDtype = "float32" }.Validate());
    }
}
