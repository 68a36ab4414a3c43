using System.Numerics;

namespace Hrm.Tasks.Sudoku;

/// <summary>The outcome of a search: solutions found (stops at the limit), guesses made, and the first solution.</summary>
public readonly record struct SolveResult(int Solutions, int Guesses, int[]? Solution)
{
    public bool IsUnique => Solutions == 1;
}

/// <summary>
/// Exact Sudoku solver: one bitmask of candidate digits per cell, constraint propagation (naked singles: a placed
/// digit leaves its peers; hidden singles: a digit with one place left in a unit goes there), then depth-first
/// guessing on a cell with the fewest candidates. It counts solutions up to a limit (2 decides uniqueness), and the
/// number of guesses (values tried at branch points) is the difficulty rating: 0 means singles alone solve it.
/// With limit 2 the whole search tree is explored for a unique puzzle, so the rating does not depend on luck.
/// Reuses its buffers: one instance per thread.
/// </summary>
public sealed class SudokuSolver
{
    readonly SudokuShape shape;
    readonly int n, cells, all, peerCount;
    readonly int[] peers;   // [cells * peerCount]: the other cells sharing a row, column or box
    readonly int[] units;   // [3n * n]: rows, columns, boxes
    readonly int[] frames;  // [(cells + 1) * cells]: candidate masks, one frame per search depth (copy-on-guess)
    readonly int[] queue;   // cells whose single digit still has to be removed from their peers
    int limit, solutions, guesses;
    int[]? first;
    Random? random;

    public SudokuSolver(SudokuShape shape)
    {
        this.shape = shape;
        n = shape.N;
        cells = shape.Cells;
        all = (1 << n) - 1;
        var unitList = shape.Units();
        units = unitList.SelectMany(u => u).ToArray();
        var peerSets = Enumerable.Range(0, cells).Select(_ => new SortedSet<int>()).ToArray();
        foreach (var unit in unitList)
            foreach (var a in unit)
                foreach (var b in unit)
                    if (a != b) peerSets[a].Add(b);
        peerCount = peerSets[0].Count;
        peers = peerSets.SelectMany(s => s).ToArray();
        frames = new int[(cells + 1) * cells];
        queue = new int[cells + 1];
    }

    public SudokuShape Shape => shape;

    /// <summary>
    /// Searches <paramref name="puzzle"/> (n*n cells, 0 blank) for up to <paramref name="limit"/> solutions.
    /// With <paramref name="random"/>, the values at each branch point are tried in random order (used to draw random
    /// full grids); without it the search is deterministic.
    /// </summary>
    public SolveResult Solve(ReadOnlySpan<int> puzzle, int limit = 2, Random? random = null)
    {
        if (puzzle.Length != cells) throw new ArgumentException($"expected {cells} cells, got {puzzle.Length}", nameof(puzzle));
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit));
        this.limit = limit;
        this.random = random;
        solutions = guesses = 0;
        first = null;
        var c = frames.AsSpan(0, cells);
        c.Fill(all);
        int q = 0;
        for (int i = 0; i < cells; i++)
        {
            int d = puzzle[i];
            if (d == 0) continue;
            if (d < 0 || d > n) throw new ArgumentException($"cell {i}: digit {d} out of range 1..{n}", nameof(puzzle));
            c[i] = 1 << (d - 1);
            queue[q++] = i;
        }
        if (Propagate(0, q)) Search(0);
        return new SolveResult(solutions, guesses, first);
    }

    /// <summary>
    /// Whether <paramref name="puzzle"/> has a solution in which <paramref name="cell"/> (blank in the puzzle) holds a
    /// digit other than <paramref name="digit"/>. For a puzzle known to have a solution with <paramref name="digit"/>
    /// there, false means that solution is unique: the generator's test for "may this clue go?". Stops at the first
    /// solution and searches only the restricted tree, so it is several times faster than counting to 2.
    /// </summary>
    public bool HasSolutionWithout(ReadOnlySpan<int> puzzle, int cell, int digit)
    {
        if (puzzle.Length != cells) throw new ArgumentException($"expected {cells} cells, got {puzzle.Length}", nameof(puzzle));
        if ((uint)cell >= (uint)cells || puzzle[cell] != 0) throw new ArgumentException($"cell {cell} must be a blank of the puzzle", nameof(cell));
        if (digit < 1 || digit > n) throw new ArgumentOutOfRangeException(nameof(digit), digit, $"digit must be 1..{n}");
        // Fast path: the givens among the cell's peers already rule out every other digit (a naked single).
        int seen = 0;
        foreach (int peer in peers.AsSpan(cell * peerCount, peerCount))
            if (puzzle[peer] is int d and > 0 and <= 32) seen |= 1 << (d - 1);
        int bit = 1 << (digit - 1);
        if ((seen & bit) == 0 && (seen | bit) == all) return false;
        limit = 1;
        random = null;
        solutions = guesses = 0;
        first = null;
        var c = frames.AsSpan(0, cells);
        c.Fill(all);
        int q = 0;
        for (int i = 0; i < cells; i++)
        {
            int d = puzzle[i];
            if (d == 0) continue;
            if (d < 0 || d > n) throw new ArgumentException($"cell {i}: digit {d} out of range 1..{n}", nameof(puzzle));
            c[i] = 1 << (d - 1);
            queue[q++] = i;
        }
        c[cell] = all & ~bit;
        if ((c[cell] & (c[cell] - 1)) == 0) queue[q++] = cell;
        if (Propagate(0, q)) Search(0);
        return solutions > 0;
    }

    /// <summary>The unique solution, or null if the puzzle has none or several.</summary>
    public int[]? SolveUnique(ReadOnlySpan<int> puzzle) => Solve(puzzle, 2) is { Solutions: 1 } r ? r.Solution : null;

    void Search(int depth)
    {
        int off = depth * cells;
        int best = -1, bestCount = int.MaxValue;
        for (int i = 0; i < cells; i++)
        {
            int count = BitOperations.PopCount((uint)frames[off + i]);
            if (count > 1 && count < bestCount)
            {
                best = i;
                bestCount = count;
                if (count == 2) break;
            }
        }
        if (best < 0)
        {
            solutions++;
            first ??= Decode(off);
            return;
        }
        int mask = frames[off + best], next = off + cells;
        while (mask != 0 && solutions < limit)
        {
            int bit = random is null ? mask & -mask : RandomBit(mask, random);
            mask ^= bit;
            guesses++;
            Array.Copy(frames, off, frames, next, cells);
            frames[next + best] = bit;
            queue[0] = best;
            if (Propagate(next, 1)) Search(depth + 1);
        }
    }

    static int RandomBit(int mask, Random random)
    {
        int k = random.Next(BitOperations.PopCount((uint)mask));
        for (; k > 0; k--) mask &= mask - 1;
        return mask & -mask;
    }

    /// <summary>Naked and hidden singles to a fixed point on the frame at <paramref name="off"/>; false on a contradiction.</summary>
    bool Propagate(int off, int q)
    {
        var c = frames.AsSpan(off, cells);
        var p = peers.AsSpan();
        var u = units.AsSpan();
        while (true)
        {
            while (q > 0)
            {
                int cell = queue[--q], bit = c[cell];
                var cellPeers = p.Slice(cell * peerCount, peerCount);
                foreach (int peer in cellPeers)
                {
                    int m = c[peer];
                    if ((m & bit) == 0) continue;
                    m &= ~bit;
                    if (m == 0) return false;
                    c[peer] = m;
                    if ((m & (m - 1)) == 0) queue[q++] = peer;
                }
            }
            for (int start = 0; start < u.Length; start += n)
            {
                var unit = u.Slice(start, n);
                int once = 0, twice = 0, placed = 0;
                foreach (int cell in unit)
                {
                    int m = c[cell];
                    twice |= once & m;
                    once |= m;
                    if ((m & (m - 1)) == 0) placed |= m;
                }
                if (once != all) return false;
                int hidden = once & ~twice & ~placed;
                while (hidden != 0)
                {
                    int bit = hidden & -hidden;
                    hidden ^= bit;
                    int target = -1;
                    foreach (int cell in unit)
                        if ((c[cell] & bit) != 0) { target = cell; break; }
                    // An earlier hidden single of this unit may have taken the only cell for this digit.
                    if (target < 0) return false;
                    c[target] = bit;
                    queue[q++] = target;
                }
            }
            if (q == 0) return true;
        }
    }

    int[] Decode(int off)
    {
        var grid = new int[cells];
        for (int i = 0; i < cells; i++) grid[i] = BitOperations.TrailingZeroCount(frames[off + i]) + 1;
        return grid;
    }
}
