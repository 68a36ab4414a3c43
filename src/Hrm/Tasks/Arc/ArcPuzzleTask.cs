namespace Hrm.Tasks.Arc;

/// <summary>
/// ARC as a <see cref="PuzzleTask"/>: a grid on the 30 x 30 canvas (<see cref="ArcCanvas"/>); the answer is the grid
/// cropped from the predicted canvas. ARC has no rule to check an answer against, only the task's expected output.
/// </summary>
public sealed class ArcPuzzleTask : PuzzleTask
{
    public override string Name => "arc";
    public override int SeqLen => ArcCanvas.SeqLen;
    public override int VocabSize => ArcCanvas.VocabSize;
    public override string Describe() => "an ARC task on the 30x30 canvas";
    public override string RuleText => "equals the expected test output";
    public override bool HasRule => false;

    /// <summary>One test input grid: lines of digits 0..9, all of the same length, at most 30 x 30.</summary>
    public override int[] Parse(string text)
    {
        var lines = Lines(text).Select(l => l.Trim()).ToList();
        if (lines.Count == 0) throw new HrmException("ARC: empty grid");
        if (lines.Count > ArcGrid.MaxSize || lines[0].Length > ArcGrid.MaxSize || lines[0].Length == 0)
            throw new HrmException($"ARC: a grid is 1..{ArcGrid.MaxSize} rows of 1..{ArcGrid.MaxSize} digits, got {lines.Count} rows of {lines[0].Length}");
        var cells = new List<int>();
        for (int r = 0; r < lines.Count; r++)
        {
            if (lines[r].Length != lines[0].Length) throw new HrmException($"ARC: row {r + 1} has {lines[r].Length} cells, row 1 has {lines[0].Length}");
            foreach (var ch in lines[r])
                cells.Add(ch is >= '0' and <= '9' ? ch - '0' : throw new HrmException($"ARC: row {r + 1}: '{ch}' is not a colour digit 0..9"));
        }
        return ArcCanvas.Encode(new ArcGrid(lines.Count, lines[0].Length, cells.ToArray()));
    }

    public override string FormatInput(ReadOnlySpan<int> input) => ArcCanvas.Crop(input).ToString();

    /// <summary>A grid as <see cref="Parse"/> reads it, or a whole ARC task as JSON (text starting with '{'): each test
    /// input, with its output as the expected answer.</summary>
    public override IReadOnlyList<PosedPuzzle> ReadPuzzles(string text)
    {
        if (!text.TrimStart().StartsWith('{')) return base.ReadPuzzles(text);
        var task = ArcReader.ReadText(text, "request", "ARC task");
        return task.Test.Select(pair => new PosedPuzzle(ArcCanvas.Encode(pair.Input), pair.Output.ToString())).ToList();
    }

    public override string ObjectForm => "an ARC task object";

    /// <summary>A grid of digits, as <see cref="Parse"/> reads a test input.</summary>
    public override string ParseAnswer(string text) => ArcCanvas.Crop(Parse(text)).ToString();

    public override string? CompareWithExpected(DecodedGrid answer, string expected) =>
        Compare(new ArcGrid(answer.Rows, answer.Cols, answer.Cells), ArcCanvas.Crop(Parse(expected)));

    /// <summary>A tiny ARC task (mirror each row), the text form by example: ARC has no generator.</summary>
    public const string BuiltInExample = """
        {"train": [{"input": [[1, 0, 0], [0, 2, 0]], "output": [[0, 0, 1], [0, 2, 0]]},
                   {"input": [[3, 3, 0], [0, 0, 4]], "output": [[0, 3, 3], [4, 0, 0]]}],
         "test": [{"input": [[5, 0, 0], [0, 6, 6]], "output": [[0, 0, 5], [6, 6, 0]]}]}
        """;

    public override TaskExample Example(int seed) =>
        new(BuiltInExample, ArcReader.ReadText(BuiltInExample, "example").Test[0].Output.ToString(),
            "a built-in example task (mirror each row); this model's dataset is not at hand", Count: 1);

    public override DecodedGrid Decode(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction)
    {
        var grid = ArcCanvas.Crop(prediction);
        return new DecodedGrid(grid.ToString(), grid.Cells, grid.Height, grid.Width);
    }

    public override string? Check(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction) => null;

    public override int[] CellPositions(DecodedGrid answer) =>
        Enumerable.Range(0, answer.Rows * answer.Cols).Select(i => i / answer.Cols * ArcCanvas.Size + i % answer.Cols).ToArray();

    /// <summary>Why a predicted grid differs from the expected output, or null when it equals it.</summary>
    public static string? Compare(ArcGrid predicted, ArcGrid expected) =>
        predicted.Equals(expected) ? null
        : predicted.Height == 0 ? "the prediction holds no grid at the canvas's top-left corner"
        : predicted.Height != expected.Height || predicted.Width != expected.Width
            ? $"predicted a {predicted.Height}x{predicted.Width} grid, the expected output is {expected.Height}x{expected.Width}"
            : $"{predicted.Cells.Zip(expected.Cells).Count(c => c.First != c.Second)} cell(s) differ from the expected output";

    public override IReadOnlyList<ITokenView> Views(int[] input, int k, int seed) => ArcViews.Views(input, k, seed);
}
