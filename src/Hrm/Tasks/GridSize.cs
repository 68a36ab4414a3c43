namespace Hrm.Tasks;

/// <summary>The square-grid rule every layer shares: a sequence of N*N cells is an N x N grid.</summary>
public static class GridSize
{
    /// <summary>The side of a square grid of <paramref name="cells"/> cells, or 0 if they do not make a square.</summary>
    public static int SquareSide(long cells) => cells >= 0 && (int)Math.Round(Math.Sqrt(cells)) is var n && (long)n * n == cells ? n : 0;
}
