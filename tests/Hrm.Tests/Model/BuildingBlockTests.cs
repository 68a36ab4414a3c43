using System.Text.Json;
using Hrm.Model;
using Hrm.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Model;

/// <summary>Each building block against hand-checked numbers (or the reference's own unit samples in train.json).</summary>
public class BuildingBlockTests
{
    static JsonElement UnitSamples() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.ParityFixture("small-rope"), "train.json"))).RootElement.GetProperty("unit_samples");

    [Fact]
    public void StablemaxCrossEntropyMatchesReferenceAndHandValue()
    {
        var s = UnitSamples().GetProperty("stablemax_cross_entropy");
        var logits = tensor(s.GetProperty("logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray(), [2, 5]);
        var labels = tensor(s.GetProperty("labels").EnumerateArray().Select(v => v.GetInt64()).ToArray());
        var loss = Losses.StablemaxCrossEntropy(logits, labels).data<double>().ToArray();
        var expected = s.GetProperty("loss").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(expected[0], loss[0], 12);
        Assert.Equal(0.0, loss[1]);   // ignored label
        // By hand: s = [1/4, 1/1.5, 1, 1.25, 3], sum = 6.1666..., -log(1.25 / 6.1666...) = 1.59601489...
        double sum = 0.25 + 1 / 1.5 + 1 + 1.25 + 3;
        Assert.Equal(-Math.Log(1.25 / sum), loss[0], 12);
        Assert.Equal(ScalarType.Float64, Losses.StablemaxCrossEntropy(logits.to(float32), labels).dtype);
    }

    [Fact]
    public void SoftmaxCrossEntropyMatchesReference()
    {
        var s = UnitSamples().GetProperty("softmax_cross_entropy");
        var logits = tensor(s.GetProperty("logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => (float)v.GetDouble())).ToArray(), [2, 5]);
        var labels = tensor(s.GetProperty("labels").EnumerateArray().Select(v => v.GetInt64()).ToArray());
        var loss = Losses.SoftmaxCrossEntropy(logits, labels).data<float>().ToArray();
        Assert.Equal(s.GetProperty("loss")[0].GetDouble(), loss[0], 5);
        Assert.Equal(0f, loss[1]);
    }

    [Fact]
    public void ScheduleMatchesReferenceSamples()
    {
        foreach (var sample in UnitSamples().GetProperty("cosine_schedule_with_warmup_lr_lambda(base_lr=1e-4, num_warmup_steps=10, num_training_steps=100, min_ratio=0.1)").EnumerateArray())
        {
            long step = sample.GetProperty("step").GetInt64();
            Assert.Equal(sample.GetProperty("lr").GetDouble(), Schedule.LearningRate(step, 1e-4, 10, 100, 0.1), 15);
        }
        // Constant after warm-up when lr_min_ratio = 1 (the reference's ARC/Sudoku setting).
        Assert.Equal(1e-4, Schedule.LearningRate(5000, 1e-4, 2000, 10000, 1.0), 15);
    }

    [Fact]
    public void RopeRotatesPairsByPositionAngles()
    {
        // head_dim 4: inv_freq = [1, 1/100] for theta 10000; position 1 rotates (x0, x2) by 1 rad and (x1, x3) by 0.01 rad.
        using var rope = new RotaryEmbedding(dim: 4, maxPositions: 2, theta: 10000);
        var x = tensor(new float[] { 1, 0, 0, 0, 1, 2, 3, 4 }, [1, 2, 1, 4]);   // [B, S, heads, head_dim]
        var y = rope.Apply(x).data<float>().ToArray();
        Assert.Equal(new float[] { 1, 0, 0, 0 }, y[..4]);   // position 0: identity
        double c1 = Math.Cos(1), s1 = Math.Sin(1), c2 = Math.Cos(0.01), s2 = Math.Sin(0.01);
        // rotate_half: x*cos + cat(-x[2:], x[:2])*sin
        Assert.Equal(1 * c1 - 3 * s1, y[4], 5);
        Assert.Equal(2 * c2 - 4 * s2, y[5], 5);
        Assert.Equal(3 * c1 + 1 * s1, y[6], 5);
        Assert.Equal(4 * c2 + 2 * s2, y[7], 5);
    }

    [Fact]
    public void TruncatedNormalHasRequestedStdAndBounds()
    {
        var t = Init.TruncNormal_(empty(400_000), 0.5, new Generator(7));
        var v = t.data<float>().ToArray();
        double mean = v.Average(), std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, -0.003, 0.003);
        Assert.InRange(std, 0.497, 0.503);   // JAX style: the *resulting* std is the requested one
        double bound = 2 * 0.5 / 0.8796256610342398;
        Assert.True(v.Max() <= bound + 1e-6 && v.Min() >= -bound - 1e-6);
        Assert.True(v.Max() > 0.95 * bound);   // the truncation is at ±2 widened scales, not ±2 std
        Assert.All(Init.TruncNormal_(empty(10), 0).data<float>().ToArray(), x => Assert.Equal(0f, x));
        Assert.Equal(0.9544997361036416, Init.Erf(2 / Math.Sqrt(2)), 14);
    }

    [Fact]
    public void AdamAtan2FirstStepsByHand()
    {
        var p = new TorchSharp.Modules.Parameter(tensor(new float[] { 1f, -2f }));
        var opt = new AdamAtan2([("p", (Tensor)p)], lr: 0.1, beta1: 0.9, beta2: 0.95, weightDecay: 0.5);
        p.grad = tensor(new float[] { 0.2f, -3f });
        opt.Step();
        // t=1: p *= 1 - 0.05; m = 0.1 g; v = 0.05 g^2; bc1 = 0.1, bc2 = 0.05; atan2(0.1 g, sqrt(0.05 g^2)/sqrt(0.05)) = atan2(0.1g, |g|)
        double[] g = [0.2, -3], p0 = [1, -2];
        var got = p.data<float>().ToArray();
        for (int i = 0; i < 2; i++)
            Assert.Equal(p0[i] * 0.95 - 0.1 / 0.1 * Math.Atan2(0.1 * g[i], Math.Abs(g[i])), got[i], 5);
        // Second step with zero gradient: moments decay, atan2 keeps the sign of m.
        p.grad = zeros(2);
        opt.Step();
        for (int i = 0; i < 2; i++)
        {
            double m = 0.9 * 0.1 * g[i], v = 0.95 * 0.05 * g[i] * g[i];
            double expected = (p0[i] * 0.95 - Math.Atan2(0.1 * g[i], Math.Abs(g[i]))) * 0.95 - 0.1 / (1 - 0.81) * Math.Atan2(m, Math.Sqrt(v) / Math.Sqrt(1 - 0.9025));
            Assert.Equal(expected, p.data<float>()[i], 5);
        }
        Assert.Equal(2, opt.StepCount);
    }

    [Fact]
    public void SignSgdUpdatesOnlyUsedRowsWithSummedSign()
    {
        var emb = new PuzzleEmbedding(4, 3, ScalarType.Float32);
        using (no_grad()) emb.weights.copy_(tensor(new float[] { 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4 }, [4, 3]));
        emb.train();
        var ids = tensor(new long[] { 1, 1, 3 });
        var outp = emb.forward(ids);   // [3, 3]
        // Row grads: id 1 twice (+1 and -3 in column 0 -> sum -2; column 1: 0 + 0 -> 0), id 3 once.
        var upstream = tensor(new float[] { 1, 0, 2, -3, 0, 1, 5, -5, 0 }, [3, 3]);
        (outp * upstream).sum().backward();
        var sgd = new SignSgd(emb, lr: 0.1, weightDecay: 0.5);
        sgd.Step();
        var w = emb.weights.data<float>().ToArray();
        Assert.Equal(new float[] { 1, 1, 1 }, w[0..3]);                     // unused: untouched, not even decayed
        Assert.Equal(new float[] { 3, 3, 3 }, w[6..9]);
        double d = 1 - 0.1 * 0.5;
        Assert.Equal(2 * d + 0.1, w[3], 5);    // sign(-2) = -1 -> + lr
        Assert.Equal(2 * d, w[4], 5);          // sign(0) = 0: decay only
        Assert.Equal(2 * d - 0.1, w[5], 5);    // sign(3) = +1
        Assert.Equal(new[] { 4 * d - 0.1, 4 * d + 0.1, 4 * d }, w[9..12].Select(x => (double)x).ToArray(), new ToleranceComparer(1e-5));
    }

    sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(double x) => 0;
    }

    [Fact]
    public void SwiGluWidthFollowsReferenceRounding()
    {
        Assert.Equal(1536, new HrmConfig().SwiGluIntermediate);                       // 512 * 4 * 2/3 = 1365.3 -> 1536
        Assert.Equal(256, new HrmConfig { HiddenSize = 64 }.SwiGluIntermediate);
        Assert.Equal(512, new HrmConfig { HiddenSize = 128, NumHeads = 4 }.SwiGluIntermediate);
        Assert.Equal(2, new HrmConfig { HiddenSize = 64, PuzzleEmbNdim = 65 }.PuzzleEmbLen);
    }
}
