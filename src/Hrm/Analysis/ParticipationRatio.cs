using static TorchSharp.torch;

namespace Hrm.Analysis;

/// <summary>PR measured on random subsets of <see cref="Puzzles"/> puzzles: its spread over <see cref="Repeats"/> draws.</summary>
public sealed record PrCurvePoint(int Puzzles, int Repeats, Spread Pr);

/// <summary>
/// The participation ratio of a cloud of hidden vectors, the effective number of dimensions it spreads over:
/// PR = (sum_i lambda_i)^2 / sum_i lambda_i^2, lambda_i the eigenvalues of the sample covariance
/// (HRM paper, Figure 8). It is 1 for a cloud along one line and k for a cloud spread equally over k orthogonal
/// directions; it is invariant to scaling, so the covariance's 1/(N-1) does not matter. Everything is computed in
/// float64 whatever the samples' dtype.
/// </summary>
public static class ParticipationRatio
{
    /// <summary>PR from eigenvalues (negative round-off of a positive semi-definite matrix is clamped to 0).</summary>
    public static double FromEigenvalues(ReadOnlySpan<double> eigenvalues)
    {
        double sum = 0, sumSq = 0;
        foreach (var e in eigenvalues)
        {
            double l = Math.Max(e, 0);
            sum += l; sumSq += l * l;
        }
        if (sumSq == 0) throw new HrmException("participation ratio of a cloud with no spread (all samples equal) is undefined");
        return sum * sum / sumSq;
    }

    /// <summary>PR of the covariance of <paramref name="samples"/> [N samples, D dims], N &gt;= 2.</summary>
    public static double Of(Tensor samples)
    {
        using var acc = new CovarianceAccumulator(Dims(samples));
        acc.Add(samples);
        return acc.ParticipationRatio();
    }

    /// <summary>The eigenvalues of the sample covariance (1/(N-1)) of <paramref name="samples"/> [N, D], ascending.</summary>
    public static double[] CovarianceEigenvalues(Tensor samples)
    {
        using var acc = new CovarianceAccumulator(Dims(samples));
        acc.Add(samples);
        return acc.Eigenvalues();
    }

    /// <summary>
    /// PR against the number of puzzles sampled. <paramref name="blocks"/> holds each puzzle's samples [T_i, D];
    /// for each of <paramref name="repeats"/> draws a random order of the puzzles is taken (seeded by
    /// <paramref name="seed"/>), and the PR of the first n puzzles' samples pooled is measured for each n in
    /// <paramref name="counts"/>; so each n sees a uniform random subset, and one draw's subsets are nested. When n is
    /// the number of puzzles every draw pools all of them, and the sd is 0 up to round-off.
    /// </summary>
    public static IReadOnlyList<PrCurvePoint> AgainstPuzzles(IReadOnlyList<Tensor> blocks, IReadOnlyList<int> counts, int repeats, int seed)
    {
        if (blocks.Count == 0) throw new HrmException("participation ratio: no puzzles to sample");
        if (repeats < 1) throw new HrmException($"participation ratio: repeats must be >= 1, got {repeats}");
        if (counts.Count == 0) throw new HrmException("participation ratio: no puzzle counts given");
        foreach (var n in counts)
            if (n < 1 || n > blocks.Count) throw new HrmException($"participation ratio: cannot sample {n} of {blocks.Count} puzzles");
        long dims = Dims(blocks[0]);
        var sorted = counts.Distinct().Order().ToArray();
        var values = sorted.ToDictionary(n => n, _ => new List<double>());
        var rng = new Random(seed);
        for (int r = 0; r < repeats; r++)
        {
            var order = Enumerable.Range(0, blocks.Count).ToArray();
            rng.Shuffle(order);
            using var acc = new CovarianceAccumulator(dims);
            int taken = 0;
            foreach (var n in sorted)
            {
                while (taken < n) acc.Add(blocks[order[taken++]]);
                values[n].Add(acc.ParticipationRatio());
            }
        }
        return counts.Select(n => new PrCurvePoint(n, repeats, Spread.Of(values[n]))).ToList();
    }

    /// <summary>Puzzle counts for <see cref="AgainstPuzzles"/>: 10, 20, 50, 100, 200, 500, ... below <paramref name="puzzles"/>,
    /// then <paramref name="puzzles"/> itself (just that if it is 10 or fewer).</summary>
    public static IReadOnlyList<int> DefaultCounts(int puzzles)
    {
        if (puzzles < 1) throw new HrmException($"participation ratio: need at least one puzzle, got {puzzles}");
        var counts = new List<int>();
        for (long decade = 10; decade < puzzles; decade *= 10)
            foreach (var m in new[] { 1, 2, 5 })
                if (decade * m < puzzles) counts.Add((int)(decade * m));
        counts.Add(puzzles);
        return counts;
    }

    /// <summary>Column names of <see cref="ToCsv"/>.</summary>
    public static readonly string[] CsvColumns = { "model", "module", "puzzles", "pr", "pr_sd", "pr_min", "pr_max", "repeats" };

    /// <summary>
    /// pr.csv: one row per (model, module, puzzles), e.g. model "trained" / "untrained" and module "zH" / "zL", the
    /// mean PR under the plain name and its spread over the repeats beside it.
    /// </summary>
    public static CsvTable ToCsv(IEnumerable<(string Model, string Module, PrCurvePoint Point)> rows)
    {
        var table = new CsvTable(CsvColumns);
        foreach (var (model, module, p) in rows) table.Add(model, module, p.Puzzles, p.Pr.Mean, p.Pr.Sd, p.Pr.Min, p.Pr.Max, p.Repeats);
        return table;
    }

    /// <summary>PR against the number of puzzles sampled, one line (with a one-sd band) per named curve.</summary>
    public static void Plot(string path, IReadOnlyList<(string Label, IReadOnlyList<PrCurvePoint> Curve)> curves,
        string title = "Participation ratio of the hidden states", int width = 900, int height = 540)
    {
        var series = curves.Select(c => new LineSeries(c.Label, c.Curve.Select(p => (double)p.Puzzles).ToArray(),
            c.Curve.Select(p => p.Pr.Mean).ToArray(), c.Curve.Select(p => p.Pr.Sd).ToArray()) { Markers = true }).ToList();
        Plots.Lines(path, new Figure(title, "puzzles sampled (count)", "participation ratio (effective dimensions)") { Width = width, Height = height }, series);
    }

    static long Dims(Tensor samples)
    {
        if (samples.dim() != 2) throw new HrmException($"participation ratio: samples must be [N, D], got shape [{string.Join(", ", samples.shape)}]");
        if (samples.shape[1] < 1) throw new HrmException("participation ratio: samples have no dimensions");
        return samples.shape[1];
    }
}

/// <summary>
/// Running sample covariance of D-dimensional vectors, added in blocks [n, D], kept as float64 sums
/// (sum x, sum x x^T) so that memory is D x D whatever the number of samples. The centring uses a shift (the first
/// sample), which keeps the float64 sums well conditioned when the mean is far from 0. The sums live on the device
/// of the first block (later blocks are moved there), so states recorded on a GPU are reduced there.
/// </summary>
public sealed class CovarianceAccumulator : IDisposable
{
    readonly long _dims;
    Tensor? _shift, _sum, _gram;

    public long Count { get; private set; }

    public CovarianceAccumulator(long dims)
    {
        if (dims < 1) throw new HrmException($"covariance: dims must be >= 1, got {dims}");
        _dims = dims;
    }

    /// <summary>Adds samples [n, D] (any float dtype; summed in float64).</summary>
    public void Add(Tensor samples)
    {
        if (samples.dim() != 2 || samples.shape[1] != _dims)
            throw new HrmException($"covariance: expected samples [n, {_dims}], got [{string.Join(", ", samples.shape)}]");
        if (samples.shape[0] == 0) return;
        using var scope = NewDisposeScope();
        var x = samples.detach().to(_shift?.device ?? samples.device).to(float64);   // [n, D]
        if (_shift is null)
        {
            _shift = x[0].clone().DetachFromDisposeScope();
            _sum = zeros(_dims, dtype: float64).DetachFromDisposeScope();
            _gram = zeros(_dims, _dims, dtype: float64).DetachFromDisposeScope();
        }
        var c = x - _shift;
        _sum!.add_(c.sum(dim: 0));   // [D]; a bare sum(0) would bind 0 to a dtype
        _gram!.add_(c.t().matmul(c));                                  // [D, D]
        Count += samples.shape[0];
    }

    /// <summary>Sample covariance [D, D] (1/(N-1)), float64; the caller disposes it.</summary>
    public Tensor Covariance()
    {
        if (Count < 2) throw new HrmException($"covariance needs at least 2 samples, got {Count}");
        using var scope = NewDisposeScope();
        var mean = _sum! / Count;
        var cov = (_gram! - Count * mean.outer(mean)) / (Count - 1);
        // Symmetrise: round-off in the sums leaves the matrix a hair off symmetric, and eigvalsh reads one triangle.
        return ((cov + cov.t()) / 2).MoveToOuterDisposeScope();
    }

    /// <summary>Eigenvalues of <see cref="Covariance"/>, ascending.</summary>
    public double[] Eigenvalues()
    {
        using var scope = NewDisposeScope();
        return linalg.eigvalsh(Covariance()).cpu().data<double>().ToArray();
    }

    public double ParticipationRatio() => Analysis.ParticipationRatio.FromEigenvalues(Eigenvalues());

    public void Dispose()
    {
        _shift?.Dispose(); _sum?.Dispose(); _gram?.Dispose();
        _shift = _sum = _gram = null;
    }
}
