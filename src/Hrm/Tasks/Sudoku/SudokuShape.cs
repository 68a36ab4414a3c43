namespace Hrm.Tasks.Sudoku;

/// <summary>
/// The geometry of an n x n Sudoku with boxes of BoxRows x BoxCols cells (n = BoxRows * BoxCols): 4x4 (2x2 boxes),
/// 6x6 (boxes of 2 rows x 3 columns) and 9x9 (3x3). Grids are row-major int arrays of n*n cells, 0 = blank,
/// 1..n = digits. Also the token encoding of the reference: token = digit + 1 (blank = 1), pad = 0, vocab = n + 2.
/// </summary>
public sealed record SudokuShape(int BoxRows, int BoxCols)
{
    public static readonly SudokuShape Size4 = new(2, 2);
    public static readonly SudokuShape Size6 = new(2, 3);
    public static readonly SudokuShape Size9 = new(3, 3);

    public int N => BoxRows * BoxCols;
    public int Cells => N * N;
    public int VocabSize => N + 2;
    public int SeqLen => Cells;

    /// <summary>The shape for side length 4, 6 or 9.</summary>
    public static SudokuShape OfSize(int n) => n switch
    {
        4 => Size4, 6 => Size6, 9 => Size9,
        _ => throw new HrmException($"unsupported Sudoku size {n} (expected 4, 6 or 9)"),
    };

    /// <summary>The shape whose grid has this many cells (16, 36 or 81), or null.</summary>
    public static SudokuShape? OfCellCount(int cells) => cells switch { 16 => Size4, 36 => Size6, 81 => Size9, _ => null };

    public int Box(int row, int col) => row / BoxRows * BoxRows + col / BoxCols;

    /// <summary>
    /// The 3n units (rows, then columns, then boxes), each a list of n cell indices; boxes are numbered row-major.
    /// </summary>
    public int[][] Units()
    {
        int n = N;
        var units = new int[3 * n][];
        for (int u = 0; u < 3 * n; u++) units[u] = new int[n];
        var filled = new int[n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
            {
                int cell = r * n + c, b = Box(r, c);
                units[r][c] = cell;
                units[n + c][r] = cell;
                units[2 * n + b][filled[b]++] = cell;
            }
        return units;
    }

    /// <summary>True if <paramref name="grid"/> is completely filled and every row, column and box holds 1..n once.</summary>
    public bool IsValidSolution(ReadOnlySpan<int> grid)
    {
        if (grid.Length != Cells) return false;
        int all = (1 << N) - 1;
        foreach (var unit in Units())
        {
            int seen = 0;
            foreach (var cell in unit)
            {
                int d = grid[cell];
                if (d < 1 || d > N) return false;
                seen |= 1 << (d - 1);
            }
            if (seen != all) return false;
        }
        return true;
    }

    /// <summary>True if every clue of <paramref name="puzzle"/> (non-zero cell) equals the solution's digit there.</summary>
    public static bool IsConsistent(ReadOnlySpan<int> puzzle, ReadOnlySpan<int> solution)
    {
        if (puzzle.Length != solution.Length) return false;
        for (int i = 0; i < puzzle.Length; i++)
            if (puzzle[i] != 0 && puzzle[i] != solution[i]) return false;
        return true;
    }

    public int[] Encode(ReadOnlySpan<int> grid)
    {
        var tokens = new int[grid.Length];
        for (int i = 0; i < grid.Length; i++) tokens[i] = grid[i] + 1;
        return tokens;
    }

    /// <summary>Tokens back to digits (blank token 1 -> 0); null if a token is not a blank or a digit of this size.</summary>
    public int[]? Decode(ReadOnlySpan<int> tokens)
    {
        var grid = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] < 1 || tokens[i] > N + 1) return null;
            grid[i] = tokens[i] - 1;
        }
        return grid;
    }

    /// <summary>The grid as one line of digits with '.' for blanks (the import format).</summary>
    public static string Format(ReadOnlySpan<int> grid)
    {
        var chars = new char[grid.Length];
        for (int i = 0; i < grid.Length; i++) chars[i] = grid[i] == 0 ? '.' : (char)('0' + grid[i]);
        return new string(chars);
    }

    /// <summary>Parses a line of exactly Cells characters ('.' or '0' blank, digits 1..n); throws ArgumentException otherwise.</summary>
    public int[] Parse(string cells)
    {
        if (cells.Length != Cells) throw new ArgumentException($"expected {Cells} cells, got {cells.Length}");
        var grid = new int[Cells];
        for (int i = 0; i < Cells; i++)
        {
            char ch = cells[i];
            int d = ch == '.' ? 0 : ch - '0';
            if (d < 0 || d > N) throw new ArgumentException($"cell {i + 1}: '{ch}' is not a blank or a digit 1..{N}");
            grid[i] = d;
        }
        return grid;
    }
}
