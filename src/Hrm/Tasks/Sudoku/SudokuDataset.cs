using Hrm.Data;

namespace Hrm.Tasks.Sudoku;

/// <summary>
/// Sudoku in the reference's dataset format: seq_len n*n, vocab n + 2 (0 pad, 1 blank, token = digit + 1), the label
/// is the full solution (givens included, never ignored), every puzzle has identifier 0 ("&lt;blank&gt;"), and each
/// training puzzle forms a group with its <c>numAug</c> augmented copies; the test split is never augmented.
/// </summary>
public static class SudokuDataset
{
    public static readonly IReadOnlyList<string> Identifiers = new[] { "<blank>" };

    /// <summary>One split: each puzzle, then (if <paramref name="numAug"/> > 0) its augmentations drawn from <paramref name="random"/>.</summary>
    public static PuzzleSplit BuildSplit(SudokuShape shape, IReadOnlyList<SudokuPuzzle> puzzles, int numAug, Random random)
    {
        if (numAug < 0) throw new HrmException($"augmentations per puzzle must be >= 0, got {numAug}");
        var builder = new PuzzleSplitBuilder(shape.SeqLen);
        foreach (var p in puzzles)
        {
            builder.BeginGroup();
            builder.AddPuzzle(0, new[] { (shape.Encode(p.Cells), shape.Encode(p.Solution)) });
            for (int k = 0; k < numAug; k++)
            {
                var aug = SudokuAugmentation.Draw(shape, random);
                builder.AddPuzzle(0, new[] { (shape.Encode(aug.Apply(p.Cells)), shape.Encode(aug.Apply(p.Solution))) });
            }
        }
        return builder.Build();
    }

    /// <summary>Writes a dataset directory: augmented train split, plain test split.</summary>
    public static void Write(string dir, SudokuShape shape, IReadOnlyList<SudokuPuzzle> train, IReadOnlyList<SudokuPuzzle> test, int numAug, int seed)
    {
        var random = new Random(seed);
        PuzzleDatasetDirectory.Write(dir, BuildSplit(shape, train, numAug, random), BuildSplit(shape, test, 0, random),
            Identifiers, shape.VocabSize, ignoreLabelId: 0, task: "sudoku");
    }

    /// <summary>Puzzle counts by rating, in power-of-two buckets ("0", "1-3", "4-7", ...), for summaries.</summary>
    public static IReadOnlyList<(string Bucket, int Count)> RatingHistogram(IEnumerable<SudokuPuzzle> puzzles)
    {
        var counts = new SortedDictionary<int, int>();
        foreach (var p in puzzles)
        {
            int bucket = p.Rating < 4 ? Math.Min(p.Rating, 1) : System.Numerics.BitOperations.Log2((uint)p.Rating);
            counts[bucket] = counts.GetValueOrDefault(bucket) + 1;
        }
        return counts.Select(kv => (kv.Key switch { 0 => "0", 1 => "1-3", int b => $"{1 << b}-{(2 << b) - 1}" }, kv.Value)).ToList();
    }

    /// <summary>The Sudoku shape a dataset's metadata describes (vocab n + 2, seq_len n*n, n in 4, 6, 9), or null.</summary>
    public static SudokuShape? ShapeOf(DatasetMetadata metadata) =>
        SudokuShape.OfCellCount(metadata.SeqLen) is { } shape && shape.VocabSize == metadata.VocabSize ? shape : null;
}
