using Hrm.Analysis;
using SkiaSharp;

namespace Hrm.Tests.Analysis;

public class PlotsTests
{
    static (int Width, int Height, int Colours) Decode(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        // A figure with axes, text and lines has many distinct colours; a blank canvas has one.
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 3)
            for (int x = 0; x < bitmap.Width; x += 3)
                colours.Add((uint)bitmap.GetPixel(x, y));
        return (bitmap.Width, bitmap.Height, colours.Count);
    }

    static (int, int) Size(string path)
    {
        var (w, h, colours) = Decode(path);
        Assert.True(colours > 10, $"{path}: only {colours} colours, the figure looks blank");
        return (w, h);
    }

    [FigureFact]
    public void LinesWithBandsAndMarkersWriteAPngOfTheFigureSize()
    {
        using var dir = new TempDirectory();
        var path = dir.File("residuals.png");
        var x = Enumerable.Range(1, 16).Select(i => (double)i).ToArray();
        var zh = x.Select(v => 1.0 / v).ToArray();
        var zl = x.Select(v => Math.Exp(-(v % 4))).ToArray();
        Plots.Lines(path, new Figure("Forward residuals", "low-level step", "relative residual") { Width = 640, Height = 400, LogY = true },
            new[] { new LineSeries("zH", x, zh, zh.Select(v => v / 4).ToArray()), new LineSeries("zL", x, zl, zl.Select(v => v / 4).ToArray()) { Markers = true } },
            new[] { new VerticalMarkers("H update", new[] { 4.5, 8.5, 12.5 }) });
        var (w, h, colours) = Decode(path);
        Assert.Equal((640, 400), (w, h));
        Assert.True(colours > 20, $"only {colours} colours: the figure looks blank");
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
    }

    [FigureFact]
    public void BarsHistogramAndScatterWriteTheirSizes()
    {
        using var dir = new TempDirectory();
        Plots.Bars(dir.File("bars.png"), new Figure("Accuracy", "budget", "exact accuracy (fraction)") { Width = 500, Height = 300 },
            new[] { "1", "2", "4" }, new[] { new BarSeries("ACT", new[] { 0.1, 0.5, 0.7 }), new BarSeries("fixed", new[] { 0.2, 0.4, 0.6 }, new[] { 0.05, 0.05, 0.1 }) });
        var values = new double[] { 1, 1, 2, 3, 3, 3, 8 };
        var bins = Plots.Histogram(dir.File("hist.png"), new Figure("Segments used", "segments", "puzzles (count)") { Width = 420, Height = 320 }, "test set", values, 7);
        Plots.Scatter(dir.File("scatter.png"), new Figure("PR", "puzzles sampled", "participation ratio"),
            new[] { new ScatterSeries("zH", new double[] { 10, 20, 50 }, new[] { 3.0, 4, 5 }) });
        Assert.Equal((500, 300), Size(dir.File("bars.png")));
        Assert.Equal((420, 320), Size(dir.File("hist.png")));
        Assert.Equal((900, 540), Size(dir.File("scatter.png")));
        Assert.Equal(new[] { 2, 1, 3, 0, 0, 0, 1 }, bins.Counts);
        Assert.Equal(1.0, bins.Edges[0]);
        Assert.Equal(8.0, bins.Edges[^1]);
    }

    [FigureFact]
    public void MismatchedSeriesIsAnHrmException()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<HrmException>(() => Plots.Lines(dir.File("x.png"), new Figure("t", "x", "y"),
            new[] { new LineSeries("a", new double[] { 1, 2 }, new double[] { 1 }) }));
        Assert.Contains("'a' has 2 x values, 1 y values", e.Message);
    }
}
