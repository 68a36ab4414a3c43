namespace Hrm.Tasks;

/// <summary>
/// The 8 symmetries of the square on a row-major H x W grid, with the reference's ids
/// (dataset/common.py `dihedral_transform`, numpy rot90 / fliplr / flipud conventions):
/// 0 identity, 1 rotate 90° anticlockwise, 2 rotate 180°, 3 rotate 270° anticlockwise,
/// 4 reverse columns, 5 reverse rows, 6 transpose, 7 anti-transpose.
/// Used by Maze (optional training augmentation) and ARC (augmentation and its inverse).
/// </summary>
public static class Dihedral
{
    public const int Count = 8;

    static readonly int[] Inverses = { 0, 3, 2, 1, 4, 5, 6, 7 };

    /// <summary>The id whose transform undoes transform <paramref name="id"/>.</summary>
    public static int Inverse(int id) => Inverses[Check(id)];

    /// <summary>Shape of the result: the ids that swap rows and columns give W x H.</summary>
    public static (int Height, int Width) Shape(int id, int height, int width) =>
        Check(id) is 1 or 3 or 6 or 7 ? (width, height) : (height, width);

    /// <summary>Transforms a row-major <paramref name="height"/> x <paramref name="width"/> grid; returns a new array.</summary>
    public static T[] Apply<T>(ReadOnlySpan<T> grid, int height, int width, int id)
    {
        if (grid.Length != height * width) throw new ArgumentException($"grid has {grid.Length} cells, expected {height}x{width}");
        var (oh, ow) = Shape(id, height, width);
        var result = new T[grid.Length];
        int H = height, W = width;
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                // Source cell (r, c) of output cell (i, j).
                var (r, c) = id switch
                {
                    0 => (i, j),
                    1 => (j, W - 1 - i),
                    2 => (H - 1 - i, W - 1 - j),
                    3 => (H - 1 - j, i),
                    4 => (i, W - 1 - j),
                    5 => (H - 1 - i, j),
                    6 => (j, i),
                    _ => (H - 1 - j, W - 1 - i),
                };
                result[i * ow + j] = grid[r * W + c];
            }
        return result;
    }

    static int Check(int id) => id is >= 0 and < Count ? id : throw new ArgumentOutOfRangeException(nameof(id), id, "dihedral id must be 0..7");
}
