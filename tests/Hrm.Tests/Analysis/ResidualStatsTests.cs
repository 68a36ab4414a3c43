using Hrm.Tracing;
using Hrm.Analysis;
using static TorchSharp.torch;

namespace Hrm.Tests.Analysis;

public class ResidualStatsTests
{
    [Fact]
    public void ForwardResidualIsTheMeanOverTokensOfTheRelativeChange()
    {
        using var scope = NewDisposeScope();
        // Row 0: token 0 goes (3, 4) -> (3, 4) + (0.3, 0.4): relative change 0.1; token 1 goes (1, 0) -> (0, 1): sqrt(2).
        // Row 1: both tokens doubled: relative change 1 each.
        var prev = tensor(new float[] { 3, 4, 1, 0, 1, 2, -2, 5 }, [2, 2, 2]);
        var cur = tensor(new float[] { 3.3f, 4.4f, 0, 1, 2, 4, -4, 10 }, [2, 2, 2]);
        var r = Residual.ForwardPerRow(cur, prev);
        Assert.Equal(2, r.Length);
        Assert.Equal((0.1 + Math.Sqrt(2)) / 2, r[0], 6);
        Assert.Equal(1.0, r[1], 12);
        using var t = Residual.Forward(cur, prev);
        Assert.Equal(float64, t.dtype);
        // One row given as [S, D] is the same as a batch of one.
        Assert.Equal(r[1], Residual.ForwardPerRow(cur[1], prev[1])[0], 12);
        // bfloat16 states are promoted before the arithmetic.
        Assert.Equal(1.0, Residual.ForwardPerRow(cur.to(bfloat16), prev.to(bfloat16))[1], 12);
        Assert.True(double.IsPositiveInfinity(Residual.ForwardPerRow(ones(1, 2, 2), zeros(1, 2, 2))[0]));
        Assert.Contains("differ in shape", Assert.Throws<HrmException>(() => Residual.Forward(ones(2, 2, 2), ones(2, 2, 3))).Message);
    }

    [Fact]
    public void AggregatesPerSegmentAndStepOverPuzzles()
    {
        var puzzles = new List<IReadOnlyList<ResidualRecord>>
        {
            new[] { new ResidualRecord(1, 1, 0.5, 2.0), new ResidualRecord(1, 2, 0.4, 1.0), new ResidualRecord(2, 1, 0.3, 3.0) },
            // Out of order and halted after segment 1: contributes to two groups only.
            new[] { new ResidualRecord(1, 2, 0.2, 3.0), new ResidualRecord(1, 1, 0.7, 4.0) },
            new[] { new ResidualRecord(1, 1, 0.6, 0.0) },
        };
        var s = ResidualStats.Aggregate(puzzles);
        Assert.Equal(new[] { (1, 1, 3), (1, 2, 2), (2, 1, 1) }, s.Select(x => (x.Segment, x.Step, x.Puzzles)));
        Assert.Equal(0.6, s[0].ZH.Mean, 12);
        Assert.Equal(0.1, s[0].ZH.Sd, 12);              // values 0.5, 0.7, 0.6
        Assert.Equal((0.5, 0.7), (s[0].ZH.Min, s[0].ZH.Max));
        Assert.Equal(2.0, s[0].ZL.Mean, 12);
        Assert.Equal(2.0, s[0].ZL.Sd, 12);              // values 2, 4, 0
        Assert.Equal(Math.Sqrt(2), s[1].ZL.Sd, 12);     // values 1, 3
        Assert.Equal(new Spread(0.3, 0, 0.3, 0.3), s[2].ZH);

        var csv = CsvTable.Parse(ResidualStats.ToCsv(s).ToString());
        Assert.Equal(ResidualStats.CsvColumns, csv.Columns);
        Assert.Equal(s.Select(x => x.ZL.Mean), csv.Doubles("residual_zL"));
        Assert.Equal(s.Select(x => x.ZH.Sd), csv.Doubles("residual_zH_sd"));
        Assert.Equal(new double[] { 1, 2, 1 }, csv.Doubles("step"));

        Assert.Contains("twice", Assert.Throws<HrmException>(() => ResidualStats.Aggregate(new[] { new[] { new ResidualRecord(1, 1, 0, 0), new ResidualRecord(1, 1, 0, 0) } })).Message);
        Assert.Throws<HrmException>(() => ResidualStats.Aggregate(Array.Empty<IReadOnlyList<ResidualRecord>>()));
    }

    [Fact]
    public void PlotsTheSummariesAsAPng()
    {
        // Two segments of 4 low-level steps, H update every 2 steps (L_cycles = 2).
        var puzzles = Enumerable.Range(0, 3).Select(p => (IReadOnlyList<ResidualRecord>)Enumerable.Range(0, 8)
            .Select(i => new ResidualRecord(1 + i / 4, 1 + i % 4, 1.0 / (i + 1) + 0.01 * p, i % 2 == 0 ? 1.0 : 0.1 + 0.01 * p)).ToList());
        var s = ResidualStats.Aggregate(puzzles);
        using var dir = new TempDirectory();
        var path = dir.File("residuals.png");
        ResidualStats.Plot(path, s, r => r.Step % 2 == 0, width: 600, height: 360);
        using var bitmap = SkiaSharp.SKBitmap.Decode(path);
        Assert.Equal((600, 360), (bitmap.Width, bitmap.Height));
    }
}
