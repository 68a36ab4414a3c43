namespace Hrm.Tasks;

/// <summary>The square-grid rule every layer shares: a sequence of N*N cells is an N x N grid.</summary>
public static class GridSize
{
    /// <summary>The side of a square grid of <paramref name="cells"/> cells, or 0 if they do not make a square.</summary>
    public static int SquareSide(long cells) => cells >= 0 && (int)Math.Round(Math.Sqrt(cells)) is var n && (long)n * n == cells ? n : 0;

    /// <summary>One grid side ("30") or several ("11,15,21"), each at least <paramref name="min"/>, no repeats, in
    /// ascending order; <paramref name="what"/> names the value in the one-line error.</summary>
    public static int[] ParseSides(string text, string what, int min = 1)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sides = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out sides[i]) || sides[i] < min)
                throw new HrmException($"{what} must be a side of at least {min} or a comma-separated list of them (11,15,21), not '{text}'");
        if (sides.Distinct().Count() != sides.Length) throw new HrmException($"{what} names a side twice: '{text}'");
        Array.Sort(sides);
        return sides;
    }
}
