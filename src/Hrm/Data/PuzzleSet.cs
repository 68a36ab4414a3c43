namespace Hrm.Data;

/// <summary>
/// One set (in practice "all") of one split of a dataset directory, in memory: its arrays and its split's metadata.
/// Batches are collated from it; dataset checks and evaluation read it.
/// </summary>
public sealed record PuzzleSet(string Name, PuzzleSplit Data, DatasetMetadata Metadata)
{
    /// <summary>The label value that marks a position without a target (the reference's IGNORE_LABEL_ID).</summary>
    public const int IgnoreLabel = -100;

    /// <summary>"train" or "test" when read from a dataset directory.</summary>
    public string Split { get; init; } = "";

    /// <summary>The path of one of the set's arrays relative to the dataset directory, e.g. "train/all__labels.npy".</summary>
    public string FileOf(string array) => $"{Split}/{PuzzleDatasetDirectory.ArrayFile(Name, array)}";

    /// <summary>Reads one set of one split of a dataset directory.</summary>
    public static PuzzleSet Read(string dir, string split, DatasetMetadata metadata, string? set = null)
    {
        var name = set ?? metadata.Sets[0];
        return new PuzzleSet(name, PuzzleDatasetDirectory.ReadSet(dir, split, name), metadata) { Split = split };
    }

    /// <summary>A set built in memory (no dataset folder): the split's arrays with the metadata a folder would hold.</summary>
    public static PuzzleSet InMemory(PuzzleSplit data, int vocabSize, int numIdentifiers = 1, string? task = null, string split = "") =>
        new(PuzzleDatasetDirectory.DefaultSet, data, PuzzleDatasetDirectory.MetadataOf(data, numIdentifiers, vocabSize, task: task)) { Split = split };

    /// <summary>Every set of a split.</summary>
    public static IReadOnlyList<PuzzleSet> ReadAll(string dir, string split)
    {
        var meta = PuzzleDatasetDirectory.ReadMetadata(dir, split);
        return meta.Sets.Select(s => Read(dir, split, meta, s)).ToList();
    }

    /// <summary>Copies the given examples into a batch of <paramref name="rows"/> rows, padding the rest as the reference does.</summary>
    public HostBatch Collate(ReadOnlySpan<int> examples, ReadOnlySpan<int> puzzles, int rows)
    {
        int s = Data.SeqLen;
        var inputs = new int[rows * s];
        var labels = new int[rows * s];
        var ids = new int[rows];
        int n = examples.Length;
        for (int r = 0; r < n; r++)
        {
            Data.Inputs.AsSpan(examples[r] * s, s).CopyTo(inputs.AsSpan(r * s, s));
            var dst = labels.AsSpan(r * s, s);
            Data.Labels.AsSpan(examples[r] * s, s).CopyTo(dst);
            if (Metadata.IgnoreLabelId is int ignore)
                for (int j = 0; j < s; j++) if (dst[j] == ignore) dst[j] = IgnoreLabel;
            ids[r] = Data.PuzzleIdentifiers[puzzles[r]];
        }
        // Padding rows: inputs all pad, labels all ignored, blank identifier: they drop out of every metric.
        if (n < rows)
        {
            inputs.AsSpan(n * s).Fill(Metadata.PadId);
            labels.AsSpan(n * s).Fill(IgnoreLabel);
            ids.AsSpan(n).Fill(Metadata.BlankIdentifierId);
        }
        return new HostBatch(Name, inputs, labels, ids, rows, s, n);
    }

    /// <summary>The puzzle that owns each example (puzzle_indices inverted).</summary>
    public int[] PuzzleOfExample()
    {
        var owner = new int[Data.ExampleCount];
        for (int p = 0; p < Data.PuzzleCount; p++)
            for (int e = Data.PuzzleIndices[p]; e < Data.PuzzleIndices[p + 1]; e++) owner[e] = p;
        return owner;
    }
}
