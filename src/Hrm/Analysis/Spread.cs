namespace Hrm.Analysis;

/// <summary>Mean, sample sd (n - 1; 0 for one value), min and max of one quantity over puzzles or repeated draws.</summary>
public sealed record Spread(double Mean, double Sd, double Min, double Max)
{
    public static Spread Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new HrmException("no values to summarise");
        double mean = values.Average();
        double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return new Spread(mean, sd, values.Min(), values.Max());
    }
}
