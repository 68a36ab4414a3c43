using System.Text;

namespace Hrm.Tasks.Arc;

/// <summary>
/// An ARC grid: Height x Width colours 0..9, row-major. Equality is by shape and content (two grids with the same
/// cells but different shapes differ). A 0 x 0 grid only arises from cropping a canvas that starts with no colour.
/// </summary>
public sealed class ArcGrid : IEquatable<ArcGrid>
{
    public const int MaxSize = 30, Colours = 10;

    public int Height { get; }
    public int Width { get; }
    /// <summary>Row-major colours; do not modify.</summary>
    public int[] Cells { get; }

    public ArcGrid(int height, int width, int[] cells)
    {
        if (height < 0 || width < 0 || cells.Length != height * width)
            throw new ArgumentException($"{cells.Length} cells do not make a {height}x{width} grid");
        Height = height; Width = width; Cells = cells;
    }

    public int this[int row, int col] => Cells[row * Width + col];

    public static ArcGrid FromRows(int[][] rows)
    {
        int h = rows.Length, w = h == 0 ? 0 : rows[0].Length;
        var cells = new int[h * w];
        for (int r = 0; r < h; r++)
        {
            if (rows[r].Length != w) throw new ArgumentException($"ragged grid: row {r} has {rows[r].Length} cells, row 0 has {w}");
            rows[r].CopyTo(cells, r * w);
        }
        return new ArcGrid(h, w, cells);
    }

    /// <summary>Recolours every cell c to <paramref name="colourMap"/>[c].</summary>
    public ArcGrid Recolour(IReadOnlyList<int> colourMap)
    {
        var cells = new int[Cells.Length];
        for (int i = 0; i < cells.Length; i++) cells[i] = colourMap[Cells[i]];
        return new ArcGrid(Height, Width, cells);
    }

    /// <summary>The grid under dihedral transform <paramref name="id"/> (see <see cref="Dihedral"/>).</summary>
    public ArcGrid Transform(int id)
    {
        var (h, w) = Dihedral.Shape(id, Height, Width);
        return new ArcGrid(h, w, Dihedral.Apply<int>(Cells, Height, Width, id));
    }

    public bool Equals(ArcGrid? other) =>
        other is not null && Height == other.Height && Width == other.Width && Cells.AsSpan().SequenceEqual(other.Cells);

    public override bool Equals(object? obj) => Equals(obj as ArcGrid);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Height); h.Add(Width);
        h.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Cells.AsSpan()));
        return h.ToHashCode();
    }

    /// <summary>Rows of digits, one line each.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        for (int r = 0; r < Height; r++)
        {
            if (r > 0) sb.Append('\n');
            for (int c = 0; c < Width; c++) sb.Append((char)('0' + this[r, c]));
        }
        return sb.ToString();
    }
}

/// <summary>One input/output example of a task.</summary>
public sealed record ArcPair(ArcGrid Input, ArcGrid Output);

/// <summary>
/// An ARC task: demonstration pairs (<see cref="Train"/>) and test pairs with their outputs (<see cref="Test"/>).
/// <see cref="Source"/> is the file it was read from, for messages.
/// </summary>
public sealed record ArcTask(string Name, IReadOnlyList<ArcPair> Train, IReadOnlyList<ArcPair> Test, string Source)
{
    public IEnumerable<ArcPair> AllPairs => Train.Concat(Test);

    /// <summary>The same task with every grid mapped by <paramref name="f"/>.</summary>
    public ArcTask Map(Func<ArcGrid, ArcGrid> f, string name) =>
        new(name, Train.Select(p => new ArcPair(f(p.Input), f(p.Output))).ToList(),
            Test.Select(p => new ArcPair(f(p.Input), f(p.Output))).ToList(), Source);
}
