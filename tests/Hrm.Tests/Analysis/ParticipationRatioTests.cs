using Hrm.Analysis;
using static TorchSharp.torch;

namespace Hrm.Tests.Analysis;

public class ParticipationRatioTests
{
    /// <summary>
    /// Samples whose sample covariance has exactly the eigenvalues variances (times a constant): the points
    /// ±sqrt(v_i) e_i, rotated by a seeded random orthogonal matrix and shifted by an offset.
    /// </summary>
    static Tensor Cloud(double[] variances, int dims, int seed)
    {
        var g = new Generator((ulong)seed);
        var rows = new List<double[]>();
        for (int i = 0; i < variances.Length; i++)
            foreach (var sign in new[] { 1.0, -1.0 })
            {
                var row = new double[dims];
                row[i] = sign * Math.Sqrt(variances[i]);
                rows.Add(row);
            }
        var x = tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, dims], float64);
        var (q, _) = linalg.qr(randn(dims, dims, float64, generator: g));
        var offset = randn(dims, float64, generator: g) * 10;
        return x.matmul(q.t()) + offset;
    }

    [Fact]
    public void ClosedFormFromEigenvalues()
    {
        Assert.Equal(36.0 / 14.0, ParticipationRatio.FromEigenvalues(new double[] { 1, 2, 3 }), 12);
        Assert.Equal(5.0, ParticipationRatio.FromEigenvalues(new double[] { 2, 2, 2, 2, 2, 0, -1e-18 }), 12);
        Assert.Throws<HrmException>(() => ParticipationRatio.FromEigenvalues(new double[] { 0, 0 }));
    }

    [Theory]
    [InlineData(new double[] { 1, 1, 1, 1 }, 12, 4.0)]
    [InlineData(new double[] { 1, 2, 3 }, 8, 36.0 / 14.0)]
    [InlineData(new double[] { 7 }, 6, 1.0)]
    public void SyntheticCloudWithKnownSpectrumGivesTheClosedForm(double[] variances, int dims, double expected)
    {
        using var scope = NewDisposeScope();
        var cloud = Cloud(variances, dims, seed: 3);
        Assert.Equal(expected, ParticipationRatio.Of(cloud), 9);
        // float32 input is promoted to float64 inside, so the answer barely moves.
        Assert.Equal(expected, ParticipationRatio.Of(cloud.to(float32)), 4);
    }

    [Fact]
    public void BlocksAccumulateToTheCovarianceOfThePooledSamples()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(11UL);
        var blocks = Enumerable.Range(0, 5).Select(i => randn(3 + i, 6, float64, generator: g) * (i + 1) + 5).ToList();
        var pooled = cat(blocks, 0);
        using var acc = new CovarianceAccumulator(6);
        foreach (var b in blocks) acc.Add(b);
        Assert.Equal(pooled.shape[0], acc.Count);
        var expected = cov(pooled.t());
        Assert.True(acc.Covariance().allclose(expected, rtol: 1e-10, atol: 1e-10));
        var eig = linalg.eigvalsh(expected).data<double>().ToArray();
        Assert.Equal(ParticipationRatio.FromEigenvalues(eig), acc.ParticipationRatio(), 10);
        Assert.Equal(eig, ParticipationRatio.CovarianceEigenvalues(pooled), new ToleranceComparer(1e-9));
    }

    [Fact]
    public void CurveAgainstPuzzlesIsSeededAndPoolsEverythingAtN()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5UL);
        // 30 puzzles, each 4 samples in 8 dims with its own mean, so PR grows with the number of puzzles pooled.
        var blocks = Enumerable.Range(0, 30).Select(_ => randn(4, 8, float64, generator: g) * 0.1 + randn(1, 8, float64, generator: g)).ToList();
        var counts = ParticipationRatio.DefaultCounts(30);
        Assert.Equal(new[] { 10, 20, 30 }, counts);
        var curve = ParticipationRatio.AgainstPuzzles(blocks, counts, repeats: 4, seed: 1);
        var again = ParticipationRatio.AgainstPuzzles(blocks, counts, repeats: 4, seed: 1);
        Assert.Equal(curve, again);
        Assert.Equal(counts, curve.Select(p => p.Puzzles));
        Assert.All(curve, p => Assert.Equal(4, p.Repeats));
        Assert.True(curve[0].Pr.Sd > 0);
        Assert.Equal(0, curve[^1].Pr.Sd, 9);
        Assert.Equal(ParticipationRatio.Of(cat(blocks, 0)), curve[^1].Pr.Mean, 9);
        Assert.True(curve[0].Pr.Min <= curve[0].Pr.Mean && curve[0].Pr.Mean <= curve[0].Pr.Max);
        Assert.NotEqual(curve[0].Pr.Mean, ParticipationRatio.AgainstPuzzles(blocks, counts, repeats: 4, seed: 2)[0].Pr.Mean);

        var csv = CsvTable.Parse(ParticipationRatio.ToCsv(curve.Select(p => ("trained", "zH", p))).ToString());
        Assert.Equal(ParticipationRatio.CsvColumns, csv.Columns);
        Assert.Equal(curve.Select(p => p.Pr.Mean), csv.Doubles("pr"));
        Assert.Equal(new double[] { 10, 20, 30 }, csv.Doubles("puzzles"));
        Assert.All(csv.Strings("module"), m => Assert.Equal("zH", m));
        using var dir = new TempDirectory();
        ParticipationRatio.Plot(dir.File("pr.png"), new[] { ("trained zH", curve), ("shifted", (IReadOnlyList<PrCurvePoint>)curve.Select(p => p with { Pr = p.Pr with { Mean = p.Pr.Mean + 1 } }).ToList()) }, width: 500, height: 300);
        using var png = SkiaSharp.SKBitmap.Decode(dir.File("pr.png"));
        Assert.Equal((500, 300), (png.Width, png.Height));
    }

    [Fact]
    public void DefaultCountsAndBadInput()
    {
        Assert.Equal(new[] { 10, 20, 50, 100, 200, 500, 1000 }, ParticipationRatio.DefaultCounts(1000));
        Assert.Equal(new[] { 10, 20, 50, 100, 200, 500, 1000, 2000, 2500 }, ParticipationRatio.DefaultCounts(2500));
        Assert.Equal(new[] { 7 }, ParticipationRatio.DefaultCounts(7));
        using var scope = NewDisposeScope();
        Assert.Contains("[N, D]", Assert.Throws<HrmException>(() => ParticipationRatio.Of(zeros(3, 4, 5))).Message);
        Assert.Contains("at least 2 samples", Assert.Throws<HrmException>(() => ParticipationRatio.Of(ones(1, 4))).Message);
        Assert.Contains("cannot sample 3 of 2", Assert.Throws<HrmException>(() =>
            ParticipationRatio.AgainstPuzzles(new[] { ones(2, 3), zeros(2, 3) }, new[] { 3 }, 1, 0)).Message);
        using var acc = new CovarianceAccumulator(4);
        Assert.Contains("expected samples [n, 4]", Assert.Throws<HrmException>(() => acc.Add(zeros(2, 5))).Message);
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(b));
        public int GetHashCode(double obj) => 0;
    }
}
