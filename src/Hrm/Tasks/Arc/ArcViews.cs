namespace Hrm.Tasks.Arc;

/// <summary>
/// An ARC test input seen through one <see cref="ArcTransform"/>: the canvas is cropped to its grid, transformed, and
/// encoded again at the top-left, as the test split holds its augmented versions. Canvases in the original frame
/// come back in the same canonical form (grid at (0, 0) with its end markers), so equal cropped grids give equal
/// token sequences.
/// </summary>
public sealed class ArcView : ITokenView
{
    public ArcTransform Transform { get; }

    public ArcView(ArcTransform transform) => Transform = transform;

    public string Name => Transform.Suffix;
    public int[] Apply(int[] tokens) => ArcCanvas.Encode(Transform.Apply(Crop(tokens)));
    public int[] Invert(int[] tokens) => ArcCanvas.Encode(Transform.Invert(Crop(tokens)));

    static ArcGrid Crop(int[] tokens) => tokens.Length == ArcCanvas.SeqLen ? ArcCanvas.Crop(tokens)
        : throw new HrmException($"ARC view: expected a {ArcCanvas.SeqLen}-token canvas, got {tokens.Length} tokens");
}

/// <summary>Test-time views of an ARC test input, drawn as the dataset's augmentations (<see cref="ArcAugmentation"/>).</summary>
public static class ArcViews
{
    /// <summary>
    /// Up to k views of a test-split input canvas: view 0 the identity, then transforms (dihedral x colour permutation
    /// keeping 0) drawn by <see cref="ArcAugmentation.Augment"/> from a generator seeded by <paramref name="seed"/>,
    /// each kept only if the transformed grid differs from the original and from every view kept so far (so a
    /// symmetric grid may get fewer). The view keeps the row's puzzle identifier, unlike the dataset's augmented
    /// versions, which each have their own. Invert(Apply(x)) == x holds for canvases with the grid at (0, 0), as the
    /// test split has them. <see cref="TokenViewFactory"/>-compatible.
    /// </summary>
    public static IReadOnlyList<ITokenView> Views(int[] inputTokens, int k, int seed)
    {
        TokenViews.CheckArguments(inputTokens, k);
        if (inputTokens.Length != ArcCanvas.SeqLen) throw new HrmException($"ARC views: expected a {ArcCanvas.SeqLen}-token canvas, got {inputTokens.Length} tokens");
        var grid = ArcCanvas.Crop(inputTokens);
        if (grid.Height == 0) throw new HrmException("ARC views: the input canvas holds no grid at its top-left corner");
        // The augmentation de-duplicates whole tasks; a task of one pair (grid, grid) de-duplicates the grid alone.
        var probe = new ArcTask("view", Array.Empty<ArcPair>(), new[] { new ArcPair(grid, grid) }, "test-time views");
        var views = new List<ITokenView> { IdentityView.Instance };
        views.AddRange(ArcAugmentation.Augment(probe, k - 1, new Random(seed)).Select(v => new ArcView(v.Transform)));
        return views;
    }
}
