namespace Hrm.Tasks.Arc;

/// <summary>
/// The reference's ARC sequence encoding: a grid placed in a 30 x 30 canvas (seq 900, row-major) at top-left (r, c);
/// tokens 0 pad, 1 end-of-grid marker, 2..11 colours 0..9. The marker fills row r+h over columns c..c+w-1 and column
/// c+w over rows r..r+h-1, each only inside the canvas; the corner (r+h, c+w) stays pad.
/// </summary>
public static class ArcCanvas
{
    public const int Size = ArcGrid.MaxSize, SeqLen = Size * Size, VocabSize = 12;
    public const int Pad = 0, EndOfGrid = 1, ColourOffset = 2;

    public static int[] Encode(ArcGrid grid, int top = 0, int left = 0)
    {
        if (top < 0 || left < 0 || top + grid.Height > Size || left + grid.Width > Size)
            throw new ArgumentException($"a {grid.Height}x{grid.Width} grid at ({top}, {left}) does not fit the {Size}x{Size} canvas");
        var canvas = new int[SeqLen];
        for (int r = 0; r < grid.Height; r++)
            for (int c = 0; c < grid.Width; c++)
                canvas[(top + r) * Size + left + c] = grid[r, c] + ColourOffset;
        int endRow = top + grid.Height, endCol = left + grid.Width;
        if (endRow < Size) for (int c = left; c < endCol; c++) canvas[endRow * Size + c] = EndOfGrid;
        if (endCol < Size) for (int r = top; r < endRow; r++) canvas[r * Size + endCol] = EndOfGrid;
        return canvas;
    }

    /// <summary>
    /// The grid a (predicted) canvas holds: the largest-area rectangle anchored at the top-left corner whose cells are
    /// all colour tokens, the smallest height on ties (arc_eval.ipynb `crop`). A canvas whose first cell is not a
    /// colour gives a 0 x 0 grid. Inverse of <see cref="Encode"/> at (0, 0).
    /// </summary>
    public static ArcGrid Crop(ReadOnlySpan<int> canvas)
    {
        if (canvas.Length != SeqLen) throw new ArgumentException($"a canvas has {SeqLen} tokens, got {canvas.Length}");
        int bestArea = 0, bestH = 0, bestW = 0, width = Size;
        for (int h = 1; h <= Size && width > 0; h++)
        {
            int row = (h - 1) * Size, run = 0;
            while (run < width && IsColour(canvas[row + run])) run++;
            width = run;   // the rectangle's width is the shortest leading colour run of its rows
            if (h * width > bestArea) { bestArea = h * width; bestH = h; bestW = width; }
        }
        var cells = new int[bestH * bestW];
        for (int r = 0; r < bestH; r++)
            for (int c = 0; c < bestW; c++)
                cells[r * bestW + c] = canvas[r * Size + c] - ColourOffset;
        return new ArcGrid(bestH, bestW, cells);
    }

    static bool IsColour(int token) => token >= ColourOffset && token < ColourOffset + ArcGrid.Colours;
}
