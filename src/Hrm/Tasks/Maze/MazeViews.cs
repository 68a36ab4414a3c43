namespace Hrm.Tasks.Maze;

/// <summary>Test-time views of a square maze: its 8 dihedral symmetries (rotations and reflections).</summary>
public static class MazeViews
{
    /// <summary>
    /// min(k, 8) views of an N x N maze token sequence: view 0 the identity, then distinct non-identity dihedral maps
    /// in an order shuffled by <paramref name="seed"/>. <see cref="TokenViewFactory"/>-compatible.
    /// </summary>
    public static IReadOnlyList<ITokenView> Views(int[] inputTokens, int k, int seed)
    {
        TokenViews.CheckArguments(inputTokens, k);
        int size = GridSize.SquareSide(inputTokens.Length);
        if (size == 0) throw new HrmException($"maze views: {inputTokens.Length} tokens is not a square grid");
        var ids = Enumerable.Range(1, Dihedral.Count - 1).ToArray();
        new Random(seed).Shuffle(ids);
        var views = new List<ITokenView> { IdentityView.Instance };
        views.AddRange(ids.Take(Math.Min(k, Dihedral.Count) - 1).Select(id => new DihedralView(id, size)));
        return views;
    }
}
