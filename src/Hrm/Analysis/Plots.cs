using ScottPlot;

namespace Hrm.Analysis;

/// <summary>
/// What every figure carries: a title, axis labels (put the unit in the label, e.g. "residual (relative, log10)"),
/// a fixed pixel size, and optionally a log10 y axis (values &lt;= 0 are left out of a log plot).
/// </summary>
public sealed record Figure(string Title, string XLabel, string YLabel)
{
    public int Width { get; init; } = 900;
    public int Height { get; init; } = 540;
    public bool LogY { get; init; }
    /// <summary>Fixed y range (in data units, before any log), or null for automatic.</summary>
    public (double Min, double Max)? YRange { get; init; }
}

/// <summary>
/// One line: y over x, with an optional spread (drawn as a band y - spread .. y + spread, e.g. one sd; on a log axis a
/// band reaching 0 or below is cut at y / 10).
/// </summary>
public sealed record LineSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? Spread = null)
{
    /// <summary>Draw a marker at each point as well as the line.</summary>
    public bool Markers { get; init; }
}

/// <summary>Vertical lines at <paramref name="X"/> (e.g. the steps where the high-level module updates), one legend entry.</summary>
public sealed record VerticalMarkers(string Label, IReadOnlyList<double> X);

/// <summary>One bar series: a value per category.</summary>
public sealed record BarSeries(string Label, IReadOnlyList<double> Values, IReadOnlyList<double>? Errors = null);

/// <summary>One scatter series (points only).</summary>
public sealed record ScatterSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>Counts of values in equal-width bins: bin i covers [Edges[i], Edges[i+1]) (the last bin includes its right edge).</summary>
public sealed record HistogramBins(IReadOnlyList<double> Edges, IReadOnlyList<int> Counts)
{
    public double Center(int bin) => (Edges[bin] + Edges[bin + 1]) / 2;
}

/// <summary>
/// Figure helpers over ScottPlot 5, each writing one PNG of the figure's fixed size (temporary file, then rename).
/// Every figure has its title, axis labels and a legend; colours follow one fixed palette in series order, so the
/// same call gives the same image. The helpers draw only what they are given: the caller writes the same numbers
/// to a CSV (<see cref="CsvTable"/>) so each figure can be reproduced from it.
/// </summary>
public static class Plots
{
    static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>Line plot of several series, each with its optional spread band, and optional vertical markers.</summary>
    public static void Lines(string path, Figure figure, IReadOnlyList<LineSeries> series, IReadOnlyList<VerticalMarkers>? markers = null)
    {
        if (series.Count == 0) throw new HrmException($"{figure.Title}: no series to plot");
        var plot = NewPlot(figure);
        for (int s = 0; s < series.Count; s++)
        {
            var line = series[s];
            CheckLengths(figure, line.Label, line.X.Count, line.Y.Count, line.Spread?.Count);
            var color = Palette.GetColor(s);
            var xs = line.X.ToArray();
            if (line.Spread is { } spread)
            {
                var lo = new double[xs.Length];
                var hi = new double[xs.Length];
                for (int i = 0; i < xs.Length; i++)
                {
                    double low = line.Y[i] - spread[i];
                    // A log axis cannot show a band that reaches 0: cut it at a tenth of the value (one decade).
                    if (figure.LogY && low <= 0) low = line.Y[i] / 10;
                    lo[i] = Y(figure, low);
                    hi[i] = Y(figure, line.Y[i] + spread[i]);
                }
                var band = plot.Add.FillY(xs, lo, hi);
                band.FillColor = color.WithAlpha(0.25);
                band.LineWidth = 0;
                band.LegendText = $"{line.Label} ± sd";
            }
            var ys = line.Y.Select(y => Y(figure, y)).ToArray();
            var scatter = plot.Add.Scatter(xs, ys, color);
            scatter.LineWidth = 2;
            scatter.MarkerSize = line.Markers ? 6 : 0;
            scatter.LegendText = line.Label;
        }
        AddMarkers(plot, markers, series.Count);
        Save(plot, figure, path);
    }

    /// <summary>
    /// Grouped bar chart: one group per category (labelled on the x axis), one bar per series in each group, with
    /// optional error bars.
    /// </summary>
    public static void Bars(string path, Figure figure, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series)
    {
        if (series.Count == 0 || categories.Count == 0) throw new HrmException($"{figure.Title}: no bars to plot");
        var plot = NewPlot(figure);
        double groupWidth = 0.8, barWidth = groupWidth / series.Count;
        for (int s = 0; s < series.Count; s++)
        {
            var b = series[s];
            CheckLengths(figure, b.Label, categories.Count, b.Values.Count, b.Errors?.Count);
            var color = Palette.GetColor(s);
            var bars = new List<Bar>();
            for (int c = 0; c < categories.Count; c++)
                bars.Add(new Bar
                {
                    Position = c - groupWidth / 2 + barWidth * (s + 0.5),
                    Value = Y(figure, b.Values[c]),
                    Error = b.Errors is { } e ? e[c] : 0,
                    Size = barWidth * 0.95,
                    FillColor = color,
                });
            var plotted = plot.Add.Bars(bars);
            plotted.LegendText = b.Label;
        }
        var ticks = categories.Select((c, i) => new Tick(i, c)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        // Head room above the tallest bar keeps the legend off the bars.
        plot.Axes.Margins(bottom: 0, top: 0.3);
        Save(plot, figure, path);
    }

    /// <summary>Equal-width bins over [min, max] of <paramref name="values"/> (a single value gets one bin of width 1).</summary>
    public static HistogramBins Bin(IReadOnlyList<double> values, int bins)
    {
        if (bins < 1) throw new HrmException($"a histogram needs at least one bin, got {bins}");
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) throw new HrmException("a histogram needs at least one finite value");
        double min = finite.Min(), max = finite.Max();
        if (max == min) { min -= 0.5; max += 0.5; }
        var edges = Enumerable.Range(0, bins + 1).Select(i => i == bins ? max : min + (max - min) * i / bins).ToArray();
        var counts = new int[bins];
        foreach (var v in finite) counts[Math.Min(bins - 1, (int)((v - min) / (max - min) * bins))]++;
        return new HistogramBins(edges, counts);
    }

    /// <summary>Histogram of <paramref name="values"/> in <paramref name="bins"/> equal bins; returns the bins drawn.</summary>
    public static HistogramBins Histogram(string path, Figure figure, string label, IReadOnlyList<double> values, int bins)
    {
        var h = Bin(values, bins);
        var plot = NewPlot(figure);
        var bars = new List<Bar>();
        for (int i = 0; i < h.Counts.Count; i++)
            bars.Add(new Bar
            {
                Position = h.Center(i),
                Value = h.Counts[i],
                Size = (h.Edges[i + 1] - h.Edges[i]) * 0.95,
                FillColor = Palette.GetColor(0),
            });
        plot.Add.Bars(bars).LegendText = label;
        plot.Axes.Margins(bottom: 0);
        Save(plot, figure with { LogY = false }, path);
        return h;
    }

    /// <summary>Scatter plot of several point series, with optional vertical markers.</summary>
    public static void Scatter(string path, Figure figure, IReadOnlyList<ScatterSeries> series, IReadOnlyList<VerticalMarkers>? markers = null)
    {
        if (series.Count == 0) throw new HrmException($"{figure.Title}: no series to plot");
        var plot = NewPlot(figure);
        for (int s = 0; s < series.Count; s++)
        {
            var p = series[s];
            CheckLengths(figure, p.Label, p.X.Count, p.Y.Count, null);
            var points = plot.Add.ScatterPoints(p.X.ToArray(), p.Y.Select(y => Y(figure, y)).ToArray(), Palette.GetColor(s));
            points.MarkerSize = 6;
            points.LegendText = p.Label;
        }
        AddMarkers(plot, markers, series.Count);
        Save(plot, figure, path);
    }

    static readonly Lazy<bool> font = new(() =>
    {
        // The dependency-free Skia build finds no system fonts by name: register a font file under one name.
        if (Runtime.SystemFonts.Regular is not string regular) return false;
        ScottPlot.Fonts.AddFontFile("HrmSans", regular, bold: false, italic: false);
        if (Runtime.SystemFonts.Bold is string bold) ScottPlot.Fonts.AddFontFile("HrmSans", bold, bold: true, italic: false);
        ScottPlot.Fonts.Default = "HrmSans";
        return true;
    });

    static void EnsureFont() => _ = font.Value;

    static Plot NewPlot(Figure figure)
    {
        if (figure.Width < 100 || figure.Height < 100 || figure.Width > 8000 || figure.Height > 8000)
            throw new HrmException($"{figure.Title}: figure size {figure.Width}x{figure.Height} is outside 100..8000 pixels");
        EnsureFont();
        var plot = new Plot();
        plot.Title(figure.Title);
        plot.XLabel(figure.XLabel);
        plot.YLabel(figure.LogY ? $"{figure.YLabel} (log scale)" : figure.YLabel);
        if (figure.LogY)
        {
            // ScottPlot has no log axis: the data are plotted as log10 and the ticks labelled back in data units.
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = y => Math.Pow(10, y).ToString("g3", System.Globalization.CultureInfo.InvariantCulture),
            };
        }
        return plot;
    }

    static double Y(Figure figure, double y) => !figure.LogY ? y : y > 0 ? Math.Log10(y) : double.NaN;

    static void AddMarkers(Plot plot, IReadOnlyList<VerticalMarkers>? markers, int seriesCount)
    {
        if (markers is null) return;
        for (int m = 0; m < markers.Count; m++)
        {
            var color = Palette.GetColor(seriesCount + m);
            for (int i = 0; i < markers[m].X.Count; i++)
            {
                var line = plot.Add.VerticalLine(markers[m].X[i], 1, color);
                line.LinePattern = LinePattern.Dashed;
                // One legend entry per marker set, not one per line.
                if (i == 0) line.LegendText = markers[m].Label;
            }
        }
    }

    static void CheckLengths(Figure figure, string label, int x, int y, int? spread)
    {
        if (x != y || (spread is { } s && s != y))
            throw new HrmException($"{figure.Title}: series '{label}' has {x} x values, {y} y values{(spread is { } n ? $" and {n} spreads" : "")}");
    }

    static void Save(Plot plot, Figure figure, string path)
    {
        if (figure.YRange is { } r)
            plot.Axes.SetLimitsY(Y(figure, r.Min), Y(figure, r.Max));
        // Beside the data, not over it: a curve that keeps rising (scaling past the training budget) ends where an
        // upper-right legend sits.
        plot.ShowLegend(Edge.Right);
        var bytes = plot.GetImageBytes(figure.Width, figure.Height, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, bytes);
    }
}
