using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

namespace Hrm.Viz;

/// <summary>
/// Token rows of a dataset back to the text grids the pages draw ('\n' between rows, one character per cell; '?'
/// for a token that is no cell of the task).
/// </summary>
public static class GridText
{
    /// <summary>Sudoku: token = digit + 1, 1 = blank (and 0 = pad) give '.'.</summary>
    public static string Sudoku(ReadOnlySpan<int> tokens)
    {
        var shape = SudokuShape.OfCellCount(tokens.Length) ?? throw new HrmException($"{tokens.Length} tokens are no Sudoku (16, 36 or 81)");
        var chars = new char[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            int t = tokens[i];
            chars[i] = t <= 1 ? '.' : t <= shape.N + 1 ? (char)('0' + t - 1) : '?';
        }
        return Lines(chars, shape.N);
    }

    /// <summary>Maze: <see cref="MazeEncoding"/> tokens on an N x N grid.</summary>
    public static string Maze(ReadOnlySpan<int> tokens)
    {
        int n = (int)Math.Round(Math.Sqrt(tokens.Length));
        if (n * n != tokens.Length) throw new HrmException($"{tokens.Length} tokens are no square maze");
        var chars = new char[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
            chars[i] = tokens[i] is >= MazeEncoding.Wall and <= MazeEncoding.Path ? MazeEncoding.Char(tokens[i]) : '?';
        return Lines(chars, n);
    }

    /// <summary>
    /// ARC: the bounding box of the colour tokens on the 30 x 30 <see cref="ArcCanvas"/>. Not <see cref="ArcCanvas.Crop"/>:
    /// training examples are translated away from the top-left corner. No colour gives "" (a 0 x 0 grid).
    /// </summary>
    public static string Arc(ReadOnlySpan<int> tokens, out int rows, out int cols)
    {
        if (tokens.Length != ArcCanvas.SeqLen) throw new HrmException($"an ARC canvas has {ArcCanvas.SeqLen} tokens, got {tokens.Length}");
        int top = ArcCanvas.Size, left = ArcCanvas.Size, bottom = -1, right = -1;
        for (int r = 0; r < ArcCanvas.Size; r++)
            for (int c = 0; c < ArcCanvas.Size; c++)
                if (IsColour(tokens[r * ArcCanvas.Size + c]))
                {
                    top = Math.Min(top, r); bottom = Math.Max(bottom, r);
                    left = Math.Min(left, c); right = Math.Max(right, c);
                }
        if (bottom < 0) { rows = cols = 0; return ""; }
        rows = bottom - top + 1; cols = right - left + 1;
        var chars = new char[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int t = tokens[(top + r) * ArcCanvas.Size + left + c];
                chars[r * cols + c] = IsColour(t) ? (char)('0' + t - ArcCanvas.ColourOffset) : '?';
            }
        return Lines(chars, cols);
    }

    static bool IsColour(int t) => t >= ArcCanvas.ColourOffset && t < ArcCanvas.ColourOffset + ArcGrid.Colours;

    static string Lines(char[] chars, int cols) =>
        string.Join('\n', Enumerable.Range(0, chars.Length / cols).Select(r => new string(chars, r * cols, cols)));
}
