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

    /// <summary>The sub-folder the set was read from when its dataset has several parts (grid sizes, see
    /// <see cref="PuzzleDatasetDirectory.Parts"/>), e.g. "15x15"; empty for a plain dataset folder.</summary>
    public string Part { get; init; } = "";

    /// <summary>The set's name in its split's files (<see cref="Name"/> is the part's name for a one-set part).</summary>
    public string ArraySet { get; init; } = "";

    /// <summary>The path of one of the set's arrays relative to the dataset directory, e.g. "train/all__labels.npy"
    /// (or "15x15/train/all__labels.npy" in a dataset of several sizes).</summary>
    public string FileOf(string array) =>
        $"{(Part == "" ? "" : Part + "/")}{Split}/{PuzzleDatasetDirectory.ArrayFile(ArraySet == "" ? Name : ArraySet, array)}";

    /// <summary>Reads one set of one split of a dataset directory.</summary>
    public static PuzzleSet Read(string dir, string split, DatasetMetadata metadata, string? set = null)
    {
        var name = set ?? metadata.Sets[0];
        return new PuzzleSet(name, PuzzleDatasetDirectory.ReadSet(dir, split, name), metadata) { Split = split, ArraySet = name };
    }

    /// <summary>Every set of one split of every part of <paramref name="dir"/> (<see cref="PuzzleDatasetDirectory.Parts"/>):
    /// a plain dataset's sets under their own names; in a dataset of several sizes, each named by its part ("15x15",
    /// or "15x15/NAME" when a part has several sets), smallest grid first.</summary>
    public static IReadOnlyList<PuzzleSet> ReadAll(string dir, string split)
    {
        var parts = PuzzleDatasetDirectory.Parts(dir);
        if (parts.Count == 1 && parts[0] == dir) return ReadFolder(dir, split);
        var sets = new List<PuzzleSet>();
        foreach (var part in parts)
        {
            var partName = Path.GetFileName(part);
            var read = ReadFolder(part, split);
            sets.AddRange(read.Select(s => s with { Name = read.Count == 1 ? partName : $"{partName}/{s.Name}", Part = partName }));
        }
        return sets;
    }

    /// <summary>A set built in memory (no dataset folder): the split's arrays with the metadata a folder would hold.</summary>
    public static PuzzleSet InMemory(PuzzleSplit data, int vocabSize, int numIdentifiers = 1, string? task = null, string split = "") =>
        new(PuzzleDatasetDirectory.DefaultSet, data, PuzzleDatasetDirectory.MetadataOf(data, numIdentifiers, vocabSize, task: task)) { Split = split };

    /// <summary>Every set of a split of one dataset folder.</summary>
    static IReadOnlyList<PuzzleSet> ReadFolder(string dir, string split)
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
