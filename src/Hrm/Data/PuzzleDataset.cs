using System.Text.Json.Serialization;

namespace Hrm.Data;

/// <summary>
/// A split's metadata, as the reference's <c>dataset.json</c> (its snake_case field names). The model's vocabulary,
/// sequence length and puzzle-embedding table size come from the train split's metadata. <c>task</c> ("sudoku", "maze",
/// "arc") is our addition, so that a model knows its task without guessing; the reference's loader ignores it.
/// <c>total_puzzles</c> is TinyRecursiveModels' addition (its loader requires it, HRM's ignores it): written by us, optional
/// when read, since HRM's builders do not write it. Written in their order: ..., mean_puzzle_examples, total_puzzles, sets.
/// </summary>
public sealed record DatasetMetadata(
    [property: JsonPropertyName("pad_id")] int PadId,
    [property: JsonPropertyName("ignore_label_id")] int? IgnoreLabelId,
    [property: JsonPropertyName("blank_identifier_id")] int BlankIdentifierId,
    [property: JsonPropertyName("vocab_size")] int VocabSize,
    [property: JsonPropertyName("seq_len")] int SeqLen,
    [property: JsonPropertyName("num_puzzle_identifiers")] int NumPuzzleIdentifiers,
    [property: JsonPropertyName("total_groups")] int TotalGroups,
    [property: JsonPropertyName("mean_puzzle_examples")] double MeanPuzzleExamples,
    [property: JsonPropertyName("sets"), JsonPropertyOrder(2)] IReadOnlyList<string> Sets,
    [property: JsonPropertyName("task"), JsonPropertyOrder(3), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Task = null,
    [property: JsonPropertyName("total_puzzles"), JsonPropertyOrder(1), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? TotalPuzzles = null);

/// <summary>
/// One set (in practice "all") of one split, in memory, every array int32. Examples are grouped into puzzles
/// (puzzle p owns examples [PuzzleIndices[p], PuzzleIndices[p+1])) and puzzles into groups (an original and its
/// augmentations: group g owns puzzles [GroupIndices[g], GroupIndices[g+1])).
/// </summary>
public sealed class PuzzleSplit
{
    public int SeqLen { get; }
    /// <summary>Row-major [ExampleCount, SeqLen] tokens.</summary>
    public int[] Inputs { get; }
    /// <summary>Row-major [ExampleCount, SeqLen] tokens.</summary>
    public int[] Labels { get; }
    /// <summary>[PuzzleCount]</summary>
    public int[] PuzzleIdentifiers { get; }
    /// <summary>[PuzzleCount + 1], starts at 0, ends at ExampleCount.</summary>
    public int[] PuzzleIndices { get; }
    /// <summary>[GroupCount + 1], starts at 0, ends at PuzzleCount.</summary>
    public int[] GroupIndices { get; }

    public int ExampleCount => Inputs.Length / SeqLen;
    public int PuzzleCount => PuzzleIdentifiers.Length;
    public int GroupCount => GroupIndices.Length - 1;

    public PuzzleSplit(int seqLen, int[] inputs, int[] labels, int[] puzzleIdentifiers, int[] puzzleIndices, int[] groupIndices)
    {
        if (seqLen <= 0) throw new HrmException($"seq_len must be positive, got {seqLen}");
        if (inputs.Length % seqLen != 0) throw new HrmException($"inputs hold {inputs.Length} tokens, not a multiple of seq_len {seqLen}");
        if (labels.Length != inputs.Length) throw new HrmException($"labels hold {labels.Length} tokens but inputs hold {inputs.Length}");
        SeqLen = seqLen;
        Inputs = inputs;
        Labels = labels;
        PuzzleIdentifiers = puzzleIdentifiers;
        PuzzleIndices = puzzleIndices;
        GroupIndices = groupIndices;
        if (puzzleIndices.Length != puzzleIdentifiers.Length + 1)
            throw new HrmException($"puzzle_indices has {puzzleIndices.Length} entries, expected puzzle count + 1 = {puzzleIdentifiers.Length + 1}");
        CheckRanges("puzzle_indices", puzzleIndices, ExampleCount, "example count");
        CheckRanges("group_indices", groupIndices, PuzzleCount, "puzzle count");
    }

    static void CheckRanges(string name, int[] indices, int total, string totalName)
    {
        if (indices.Length == 0 || indices[0] != 0) throw new HrmException($"{name} must start at 0");
        for (int i = 1; i < indices.Length; i++)
            if (indices[i] < indices[i - 1]) throw new HrmException($"{name} decreases at entry {i} ({indices[i - 1]} -> {indices[i]})");
        if (indices[^1] != total) throw new HrmException($"{name} ends at {indices[^1]}, expected the {totalName} {total}");
    }

    /// <summary>Row <paramref name="example"/> of the inputs.</summary>
    public ReadOnlySpan<int> Input(int example) => Inputs.AsSpan(example * SeqLen, SeqLen);
    /// <summary>Row <paramref name="example"/> of the labels.</summary>
    public ReadOnlySpan<int> Label(int example) => Labels.AsSpan(example * SeqLen, SeqLen);
}

/// <summary>Builds a <see cref="PuzzleSplit"/> incrementally: groups of puzzles of examples.</summary>
public sealed class PuzzleSplitBuilder
{
    readonly int seqLen;
    readonly List<int> inputs = new(), labels = new(), identifiers = new();
    readonly List<int> puzzleIndices = new() { 0 }, groupIndices = new() { 0 };
    bool groupOpen;

    public PuzzleSplitBuilder(int seqLen)
    {
        if (seqLen <= 0) throw new ArgumentOutOfRangeException(nameof(seqLen));
        this.seqLen = seqLen;
    }

    /// <summary>Starts a new group: the original puzzle goes first, then its augmentations.</summary>
    public void BeginGroup()
    {
        CloseGroup();
        groupOpen = true;
    }

    public void AddPuzzle(int identifier, IReadOnlyList<(int[] Input, int[] Label)> examples)
    {
        if (!groupOpen) throw new InvalidOperationException("call BeginGroup before AddPuzzle");
        if (examples.Count == 0) throw new ArgumentException("a puzzle needs at least one example", nameof(examples));
        foreach (var (input, label) in examples)
        {
            if (input.Length != seqLen || label.Length != seqLen)
                throw new ArgumentException($"example arrays must be seq_len {seqLen} long, got {input.Length} and {label.Length}");
            inputs.AddRange(input);
            labels.AddRange(label);
        }
        identifiers.Add(identifier);
        puzzleIndices.Add(inputs.Count / seqLen);
    }

    public PuzzleSplit Build()
    {
        CloseGroup();
        return new PuzzleSplit(seqLen, inputs.ToArray(), labels.ToArray(), identifiers.ToArray(), puzzleIndices.ToArray(), groupIndices.ToArray());
    }

    // A group is recorded when it has puzzles; an empty BeginGroup leaves no trace.
    void CloseGroup()
    {
        if (groupOpen && identifiers.Count > groupIndices[^1]) groupIndices.Add(identifiers.Count);
        groupOpen = false;
    }
}
