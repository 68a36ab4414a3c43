namespace Hrm.Tasks.Sudoku;

/// <summary>
/// A plain backtracking solver, the baseline of the benchmark and an independent check of <see cref="SudokuSolver"/>
/// in tests: fill the empty cells in reading order, trying each digit the row, column and box still allow
/// (bitmasks, but no propagation and no cell ordering). Counts solutions up to a limit.
/// </summary>
public sealed class BacktrackingSolver
{
    readonly SudokuShape shape;
    readonly int[] grid, rowUsed, colUsed, boxUsed, empty, rowOf, colOf, boxOf;
    int emptyCount, limit, solutions;
    int[]? first;

    public BacktrackingSolver(SudokuShape shape)
    {
        this.shape = shape;
        int n = shape.N;
        grid = new int[shape.Cells];
        empty = new int[shape.Cells];
        rowUsed = new int[n]; colUsed = new int[n]; boxUsed = new int[n];
        rowOf = new int[shape.Cells]; colOf = new int[shape.Cells]; boxOf = new int[shape.Cells];
        for (int i = 0; i < shape.Cells; i++) { rowOf[i] = i / n; colOf[i] = i % n; boxOf[i] = shape.Box(i / n, i % n); }
    }

    /// <summary>Number of solutions (at most <paramref name="limit"/>) and the first one found.</summary>
    public (int Solutions, int[]? Solution) Solve(ReadOnlySpan<int> puzzle, int limit = 2)
    {
        if (puzzle.Length != shape.Cells) throw new ArgumentException($"expected {shape.Cells} cells, got {puzzle.Length}", nameof(puzzle));
        Array.Clear(rowUsed); Array.Clear(colUsed); Array.Clear(boxUsed);
        emptyCount = solutions = 0;
        first = null;
        this.limit = limit;
        for (int i = 0; i < shape.Cells; i++)
        {
            int d = puzzle[i];
            grid[i] = d;
            if (d == 0) { empty[emptyCount++] = i; continue; }
            int bit = 1 << (d - 1);
            if (((rowUsed[rowOf[i]] | colUsed[colOf[i]] | boxUsed[boxOf[i]]) & bit) != 0) return (0, null);
            rowUsed[rowOf[i]] |= bit; colUsed[colOf[i]] |= bit; boxUsed[boxOf[i]] |= bit;
        }
        Fill(0);
        return (solutions, first);
    }

    void Fill(int k)
    {
        if (k == emptyCount)
        {
            solutions++;
            first ??= (int[])grid.Clone();
            return;
        }
        int cell = empty[k], r = rowOf[cell], c = colOf[cell], b = boxOf[cell];
        for (int d = 1; d <= shape.N && solutions < limit; d++)
        {
            int bit = 1 << (d - 1);
            if (((rowUsed[r] | colUsed[c] | boxUsed[b]) & bit) != 0) continue;
            rowUsed[r] |= bit; colUsed[c] |= bit; boxUsed[b] |= bit;
            grid[cell] = d;
            Fill(k + 1);
            rowUsed[r] ^= bit; colUsed[c] ^= bit; boxUsed[b] ^= bit;
        }
        grid[cell] = 0;
    }
}
