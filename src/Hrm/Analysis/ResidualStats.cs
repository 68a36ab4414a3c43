using Hrm.Tracing;
using static TorchSharp.torch;

namespace Hrm.Analysis;

/// <summary>
/// One recorded step of one puzzle: the forward residuals of zH and zL (see <see cref="Residual.Forward"/>)
/// after low-level step <see cref="Step"/> of segment <see cref="Segment"/>. Numbering is the caller's (the trace
/// API's); records are grouped by equal (segment, step).
/// </summary>
public sealed record ResidualRecord(int Segment, int Step, double ResidualZH, double ResidualZL);

/// <summary>Residuals at one (segment, step) over the <see cref="Puzzles"/> puzzles that reached it.</summary>
public sealed record ResidualSummary(int Segment, int Step, int Puzzles, Spread ZH, Spread ZL);

/// <summary>
/// Forward residuals and their summary over puzzles: the hierarchical-convergence figure of the HRM paper
/// (Figure 3), where the zL residual falls within each high-level cycle and jumps after each zH update while the zH
/// residual falls steadily.
/// </summary>
public static class ResidualStats
{
    /// <summary>
    /// Summaries per (segment, step), ordered by segment then step, over the puzzles' record sequences; a puzzle
    /// that halted early simply contributes to fewer steps (see <see cref="ResidualSummary.Puzzles"/>). A puzzle
    /// listing the same (segment, step) twice is an error.
    /// </summary>
    public static IReadOnlyList<ResidualSummary> Aggregate(IEnumerable<IReadOnlyList<ResidualRecord>> perPuzzle)
    {
        var groups = new SortedDictionary<(int Segment, int Step), (List<double> H, List<double> L)>();
        int puzzle = 0;
        foreach (var records in perPuzzle)
        {
            var seen = new HashSet<(int, int)>();
            foreach (var r in records)
            {
                if (!seen.Add((r.Segment, r.Step)))
                    throw new HrmException($"residuals: puzzle {puzzle} has segment {r.Segment}, step {r.Step} twice");
                if (!groups.TryGetValue((r.Segment, r.Step), out var g)) groups[(r.Segment, r.Step)] = g = (new(), new());
                g.H.Add(r.ResidualZH);
                g.L.Add(r.ResidualZL);
            }
            puzzle++;
        }
        if (groups.Count == 0) throw new HrmException("residuals: no records to aggregate");
        return groups.Select(kv => new ResidualSummary(kv.Key.Segment, kv.Key.Step, kv.Value.H.Count, Spread.Of(kv.Value.H), Spread.Of(kv.Value.L))).ToList();
    }

    /// <summary>Column names of <see cref="ToCsv"/>.</summary>
    public static readonly string[] CsvColumns =
    {
        "segment", "step", "puzzles",
        "residual_zH", "residual_zH_sd", "residual_zH_min", "residual_zH_max",
        "residual_zL", "residual_zL_sd", "residual_zL_min", "residual_zL_max",
    };

    /// <summary>The summaries as residuals.csv: one row per (segment, step), means under the plain names, then spreads.</summary>
    public static CsvTable ToCsv(IEnumerable<ResidualSummary> summaries)
    {
        var table = new CsvTable(CsvColumns);
        foreach (var s in summaries)
            table.Add(s.Segment, s.Step, s.Puzzles, s.ZH.Mean, s.ZH.Sd, s.ZH.Min, s.ZH.Max, s.ZL.Mean, s.ZL.Sd, s.ZL.Min, s.ZL.Max);
        return table;
    }

    /// <summary>
    /// The hierarchical-convergence figure: mean zH and zL residuals with a one-sd band on a log axis, against the
    /// low-level step counted over all segments (row i of <see cref="ToCsv"/> is x = i + 1). Dashed markers sit
    /// between steps: after every summary for which <paramref name="hUpdateAfter"/> holds ("H update"), or, without
    /// it, after the last step of each segment but the last ("segment end").
    /// </summary>
    public static void Plot(string path, IReadOnlyList<ResidualSummary> summaries, Func<ResidualSummary, bool>? hUpdateAfter = null,
        string title = "Forward residuals of zH and zL", int width = 900, int height = 540)
    {
        if (summaries.Count == 0) throw new HrmException("residuals: nothing to plot");
        var x = Enumerable.Range(1, summaries.Count).Select(i => (double)i).ToArray();
        var markers = new List<double>();
        for (int i = 0; i < summaries.Count - 1; i++)
        {
            bool mark = hUpdateAfter is not null ? hUpdateAfter(summaries[i]) : summaries[i + 1].Segment != summaries[i].Segment;
            if (mark) markers.Add(i + 1.5);
        }
        var figure = new Figure(title, "low-level step (over all segments)", "relative residual ||z_t - z_t-1|| / ||z_t-1||")
        {
            Width = width, Height = height, LogY = true,
        };
        Plots.Lines(path, figure,
            new[]
            {
                // zH changes only at high-level updates: on the log axis it is drawn where it moved (its residual is 0 elsewhere).
                Positive("zH (where it changed)", x, summaries.Select(s => s.ZH).ToArray()),
                new LineSeries("zL", x, summaries.Select(s => s.ZL.Mean).ToArray(), summaries.Select(s => s.ZL.Sd).ToArray()),
            },
            markers.Count == 0 ? null : new[] { new VerticalMarkers(hUpdateAfter is not null ? "H update" : "segment end", markers) });
    }

    static LineSeries Positive(string label, double[] x, Spread[] values)
    {
        var keep = Enumerable.Range(0, x.Length).Where(i => values[i].Mean > 0 && double.IsFinite(values[i].Mean)).ToArray();
        return new LineSeries(label, keep.Select(i => x[i]).ToArray(), keep.Select(i => values[i].Mean).ToArray(), keep.Select(i => values[i].Sd).ToArray()) { Markers = true };
    }
}
