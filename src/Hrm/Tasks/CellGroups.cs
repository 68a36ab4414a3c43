using Hrm.Tasks.Sudoku;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tasks;

/// <summary>One kind of cell group (e.g. Sudoku rows): its name and its groups, each a list of cell indices.</summary>
public sealed record CellGroupKind(string Name, int[][] Groups);

/// <summary>
/// Ours, not in the reference: the cell structure a task supplies to the group token mixer (<c>arch.cell_groups</c>),
/// by name. A structure is a list of kinds, each a list of groups of grid cells; the mixer shares one linear map per
/// kind across all groups of that kind, so "my row" is learned once for every row. Puzzles describe their own structure
/// here: "sudoku" (rows, columns and boxes of a 4x4, 6x6 or 9x9 Sudoku, the 20 peers of Recurrent Relational
/// Networks) and "rows_cols" (rows and columns of any square grid).
/// </summary>
public static class CellGroups
{
    public static readonly IReadOnlyList<string> Names = ["sudoku", "rows_cols"];

    /// <summary>The kinds of structure <paramref name="name"/> for a grid of <paramref name="cells"/> cells; an
    /// <see cref="HrmException"/> when the name is unknown or does not fit the grid.</summary>
    public static IReadOnlyList<CellGroupKind> Resolve(string name, int cells) => name switch
    {
        "sudoku" => SudokuShape.OfCellCount(cells) is { } shape ? SudokuKinds(shape)
            : throw new HrmException($"cell_groups sudoku needs a 4x4, 6x6 or 9x9 grid (16, 36 or 81 cells), not {cells} cells"),
        "rows_cols" => GridSize.SquareSide(cells) is int n and > 0 ? RowsCols(n)
            : throw new HrmException($"cell_groups rows_cols needs a square grid, but seq_len {cells} is not a square"),
        _ => throw new HrmException($"unknown cell_groups '{name}' (expected {string.Join(" or ", Names)}, or empty for none)"),
    };

    static IReadOnlyList<CellGroupKind> SudokuKinds(SudokuShape shape)
    {
        var units = shape.Units();   // rows, then columns, then boxes, n each
        int n = shape.N;
        return [new("rows", units[..n]), new("columns", units[n..(2 * n)]), new("boxes", units[(2 * n)..])];
    }

    static IReadOnlyList<CellGroupKind> RowsCols(int n) =>
    [
        new("rows", Enumerable.Range(0, n).Select(r => Enumerable.Range(0, n).Select(c => r * n + c).ToArray()).ToArray()),
        new("columns", Enumerable.Range(0, n).Select(c => Enumerable.Range(0, n).Select(r => r * n + c).ToArray()).ToArray()),
    ];

    /// <summary>
    /// The [K * cells, cells] float32 matrix whose block k maps cell states to, for each cell, the mean over the groups
    /// of kind k that hold it of each group's mean state (a cell in no group of that kind gets zero).
    /// </summary>
    public static Tensor AggregationMatrix(IReadOnlyList<CellGroupKind> kinds, int cells)
    {
        var a = new float[kinds.Count * cells * cells];
        for (int k = 0; k < kinds.Count; k++)
        {
            var memberships = new int[cells];
            foreach (var g in kinds[k].Groups)
                foreach (int i in g)
                {
                    if (i < 0 || i >= cells) throw new HrmException($"cell group kind {kinds[k].Name}: cell {i} is outside the grid of {cells} cells");
                    memberships[i]++;
                }
            foreach (var g in kinds[k].Groups)
                foreach (int i in g)
                    foreach (int j in g)
                        a[(k * cells + i) * cells + j] += 1f / (g.Length * memberships[i]);
        }
        return tensor(a, [kinds.Count * cells, cells]);
    }
}

