namespace Hrm.Tasks.Maze;

/// <summary>
/// One square maze: <see cref="Input"/> holds walls, open cells, start and goal; <see cref="Label"/> is the
/// same grid with one shortest start-goal path marked 'o'. Both are row-major token arrays of Size*Size.
/// </summary>
public sealed record MazePuzzle(int Size, int[] Input, int[] Label)
{
    /// <summary>Number of moves from S to G along the marked path (marked cells + 1).</summary>
    public int PathLength => Label.Count(t => t == MazeEncoding.Path) + 1;

    /// <summary>The maze under dihedral transform <paramref name="id"/> (a square stays square).</summary>
    public MazePuzzle Transform(int id) =>
        new(Size, Dihedral.Apply<int>(Input, Size, Size, id), Dihedral.Apply<int>(Label, Size, Size, id));

    public override string ToString() => MazeEncoding.ToText(Label, Size);
}
