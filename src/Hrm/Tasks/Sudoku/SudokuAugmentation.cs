namespace Hrm.Tasks.Sudoku;

/// <summary>
/// One validity-preserving relabelling of a Sudoku, drawn as the reference's <c>shuffle_sudoku</c> does and applied
/// alike to puzzle and solution: a permutation of the digits (blank stays blank), a transpose with probability 1/2,
/// a band order with a row order inside each band, and a stack order with a column order inside each stack.
/// out[i][j] = DigitMap[src[RowPerm[i]][ColPerm[j]]], src being the grid, transposed first if drawn.
/// Bands hold BoxRows rows and stacks BoxCols columns, so 6x6 (2x3 boxes) gets 3 bands of 2 rows and 2 stacks of
/// 3 columns. A transpose turns 2x3 boxes into 3x2 boxes, which is not the same puzzle shape, so it is only drawn
/// for square boxes (4x4, 9x9); for 9x9 the draws are exactly the reference's, in its order.
/// </summary>
public sealed record SudokuAugmentation(int[] DigitMap, bool Transpose, int[] RowPerm, int[] ColPerm)
{
    public static SudokuAugmentation Draw(SudokuShape shape, Random random)
    {
        int n = shape.N;
        var digits = Enumerable.Range(1, n).ToArray();
        random.Shuffle(digits);
        var digitMap = new int[n + 1];
        digits.CopyTo(digitMap, 1);
        bool transpose = shape.BoxRows == shape.BoxCols && random.NextDouble() < 0.5;
        return new SudokuAugmentation(digitMap, transpose, Lines(n, shape.BoxRows, random), Lines(n, shape.BoxCols, random));
    }

    /// <summary>Order of the n / size blocks, then for each block in that order a permutation of its size lines.</summary>
    static int[] Lines(int n, int size, Random random)
    {
        var blocks = Enumerable.Range(0, n / size).ToArray();
        random.Shuffle(blocks);
        var perm = new List<int>(n);
        foreach (int b in blocks)
        {
            var inner = Enumerable.Range(0, size).ToArray();
            random.Shuffle(inner);
            perm.AddRange(inner.Select(i => b * size + i));
        }
        return perm.ToArray();
    }

    /// <summary>The transformed copy of a row-major n x n grid of digits (0 = blank).</summary>
    public int[] Apply(ReadOnlySpan<int> grid) => Permute(grid, DigitMap, "digit");

    /// <summary>
    /// The same transform on the token encoding (<see cref="SudokuShape.Encode"/>: token = digit + 1, 1 = blank, 0 = pad),
    /// for model inputs and predictions; pad and blank stay as they are.
    /// </summary>
    public int[] ApplyTokens(ReadOnlySpan<int> tokens)
    {
        var tokenMap = new int[DigitMap.Length + 1];
        for (int d = 0; d < DigitMap.Length; d++) tokenMap[d + 1] = DigitMap[d] + 1;
        return Permute(tokens, tokenMap, "token");
    }

    /// <summary>
    /// The augmentation that undoes this one: Inverse().Apply(Apply(g)) == g. Without a transpose it permutes back by
    /// the inverse row and column orders; with one, out[i][j] = D[g[C[j]][R[i]]] gives g[i][j] = D^-1[out[R^-1[j]][C^-1[i]]],
    /// which is again a transposing augmentation, with row order C^-1 and column order R^-1.
    /// </summary>
    public SudokuAugmentation Inverse()
    {
        var digits = Invert(DigitMap);
        var rows = Invert(RowPerm);
        var cols = Invert(ColPerm);
        return Transpose ? new SudokuAugmentation(digits, true, cols, rows) : new SudokuAugmentation(digits, false, rows, cols);
    }

    static int[] Invert(int[] permutation)
    {
        var inverse = new int[permutation.Length];
        for (int i = 0; i < permutation.Length; i++) inverse[permutation[i]] = i;
        return inverse;
    }

    int[] Permute(ReadOnlySpan<int> grid, int[] valueMap, string what)
    {
        int n = RowPerm.Length;
        if (grid.Length != n * n) throw new ArgumentException($"expected {n * n} cells, got {grid.Length}", nameof(grid));
        var result = new int[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                int r = RowPerm[i], c = ColPerm[j];
                int v = Transpose ? grid[c * n + r] : grid[r * n + c];
                if ((uint)v >= (uint)valueMap.Length) throw new HrmException($"Sudoku {what} {v} is outside 0..{valueMap.Length - 1} for a {n}x{n} grid");
                result[i * n + j] = valueMap[v];
            }
        return result;
    }
}
