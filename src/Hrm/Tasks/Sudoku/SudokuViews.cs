namespace Hrm.Tasks.Sudoku;

/// <summary>A Sudoku seen through one <see cref="SudokuAugmentation"/> (digit relabelling, transpose, band and stack orders), on tokens.</summary>
public sealed class SudokuView : ITokenView
{
    readonly SudokuAugmentation _inverse;

    public SudokuAugmentation Augmentation { get; }

    public SudokuView(SudokuAugmentation augmentation)
    {
        Augmentation = augmentation;
        _inverse = augmentation.Inverse();
    }

    public string Name => $"digits {string.Concat(Augmentation.DigitMap.Skip(1))}{(Augmentation.Transpose ? " transposed" : "")} rows {string.Join("", Augmentation.RowPerm)} cols {string.Join("", Augmentation.ColPerm)}";
    public int[] Apply(int[] tokens) => Augmentation.ApplyTokens(tokens);
    public int[] Invert(int[] tokens) => _inverse.ApplyTokens(tokens);
}

/// <summary>Test-time views of a Sudoku: the identity, then augmentations drawn as the training data's are.</summary>
public static class SudokuViews
{
    /// <summary>
    /// k views of a Sudoku token sequence (16, 36 or 81 tokens): view 0 the identity, views 1..k-1 drawn with
    /// <see cref="SudokuAugmentation.Draw"/> from a generator seeded by <paramref name="seed"/> (the puzzle's content
    /// does not enter the draw). <see cref="TokenViewFactory"/>-compatible.
    /// </summary>
    public static IReadOnlyList<ITokenView> Views(int[] inputTokens, int k, int seed)
    {
        TokenViews.CheckArguments(inputTokens, k);
        var shape = SudokuShape.OfCellCount(inputTokens.Length)
            ?? throw new HrmException($"Sudoku views: {inputTokens.Length} tokens is not a 4x4, 6x6 or 9x9 grid");
        var random = new Random(seed);
        var views = new List<ITokenView>(k) { IdentityView.Instance };
        while (views.Count < k) views.Add(new SudokuView(SudokuAugmentation.Draw(shape, random)));
        return views;
    }
}
