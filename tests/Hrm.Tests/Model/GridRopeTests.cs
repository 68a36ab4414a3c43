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
    public void GridRopeUsesWholeRowNumbers()
    {
        // Cell (1, 1) of a 4x4 grid is row 1, not 5/4: its row pair turns by exactly 1 rad, its column pair by 1 rad.
        const int side = 4, d = 8;
        using var rope = RotaryEmbedding.Grid(d, side, 0, theta: 10000);
        var x = zeros(1, side * side, 1, d);
        x[.., .., .., 0] = 1;   // first row pair
        x[.., .., .., 2] = 1;   // first column pair
        var y = rope.Apply(x).data<float>().ToArray();
        int at = (1 * side + 1) * d;
        Assert.Equal(Math.Cos(1), y[at], 5);
        Assert.Equal(Math.Sin(1), y[at + 4], 5);
        Assert.Equal(Math.Cos(1), y[at + 2], 5);
        at = (3 * side + 2) * d;   // (3, 2)
        Assert.Equal(Math.Cos(3), y[at], 5);
        Assert.Equal(Math.Cos(2), y[at + 2], 5);
    }

    [Fact]
    public void RelativeBiasIndexesEachGridOffsetOnceAndGivesPrefixPairsTheirOwnSlot()
    {
        const int n = 3, prefix = 1, span = 2 * n - 1;
        var index = Attention.RelativeIndex(n, prefix).data<long>().ToArray();
        int seq = prefix + n * n;
        long At(int q, int k) => index[q * seq + k];
        int Cell(int r, int c) => prefix + r * n + c;
        Assert.Equal(At(Cell(0, 0), Cell(0, 1)), At(Cell(2, 1), Cell(2, 2)));   // one step right, anywhere
        Assert.NotEqual(At(Cell(0, 0), Cell(0, 1)), At(Cell(0, 1), Cell(0, 0)));  // left differs from right
        Assert.NotEqual(At(Cell(0, 0), Cell(0, 1)), At(Cell(0, 0), Cell(1, 0)));  // right differs from down
        Assert.Equal((long)span * span, At(0, Cell(1, 1)));
        Assert.Equal((long)span * span, At(Cell(2, 2), 0));
        // Offsets inside the grid use every table entry but the prefix slot, each for one (dr, dc).
        var grid = Enumerable.Range(0, n * n).SelectMany(q => Enumerable.Range(0, n * n).Select(k => At(prefix + q, prefix + k))).Distinct();
        Assert.Equal(span * span, grid.Count());
    }

    [Fact]
    public void RelativeBiasStartsAtZeroSoTheModelIsUnchangedAndThenLearns()
    {
        var cfg = new HrmConfig
        {
            BatchSize = 2, SeqLen = 16, VocabSize = 6, PuzzleEmbNdim = 0, HiddenSize = 16, NumHeads = 2, HLayers = 1, LLayers = 1,
            HCycles = 1, LCycles = 1, PosEncodings = "rope2d", ForwardDtype = "float32",
        };
        var inputs = randint(1, 5, [2, 16], generator: new Generator(5), dtype: ScalarType.Int64);
        var ids = zeros(2, dtype: ScalarType.Int64);
        Tensor Logits(HrmConfig c, out HrmInner inner)
        {
            inner = new HrmInner(c, new Generator(3));
            return inner.forward(inner.InitialCarry(2), inputs, ids).Logits;
        }
        using var plain = Logits(cfg, out var a);
        var withBias = Logits(cfg with { RelPosBias = true, RelPosBiasScale = 4 }, out var b);
        // Equal up to float rounding: the biased path computes softmax(q k^T / sqrt(d) + 0) itself, not through SDPA.
        Assert.InRange((plain - withBias).abs().max().item<float>(), 0, 1e-5f);

        withBias.square().sum().backward();
        var grad = ((MixerBlock)b.L_level.layers[0]).self_attn!.rel_bias!.grad;
        Assert.NotNull(grad);
        Assert.True(grad!.abs().sum().item<float>() > 0);
        Assert.Contains("square grid", Assert.Throws<HrmException>(() => (cfg with { SeqLen = 15, RelPosBias = true }).Validate()).Message);
        a.Dispose(); b.Dispose();
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
