using Hrm.Tasks;
using Hrm.Tasks.Arc;

namespace Hrm.Viz;

/// <summary>
/// Token rows of a dataset as the text grids the pages draw ('\n' between rows, one character per cell). Sudoku and
/// maze rows decode through their <see cref="PuzzleTask"/>; ARC rows are cropped to their colour cells.
/// </summary>
public static class GridText
{
    /// <summary>One input or label row of <paramref name="task"/> as text, and its number of columns.</summary>
    public static (string Text, int Cols) Of(PuzzleTask task, ReadOnlySpan<int> tokens)
    {
        if (task is ArcPuzzleTask) { var text = Arc(tokens, out _, out int cols); return (text, cols); }
        var grid = task.Decode(tokens, tokens);
        return (grid.Text, grid.Cols);
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
        int width = cols;
        return string.Join('\n', Enumerable.Range(0, rows).Select(r => new string(chars, r * width, width)));
    }

    static bool IsColour(int t) => t >= ArcCanvas.ColourOffset && t < ArcCanvas.ColourOffset + ArcGrid.Colours;
}
