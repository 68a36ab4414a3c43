using System.Text.Json;
using Hrm.Data;

namespace Hrm.Tests.Data;

public class PuzzleDatasetDirectoryTests
{
    // Two groups: the first holds an original and one augmentation, the second a puzzle of two examples.
    static PuzzleSplit SmallSplit(int seqLen = 4)
    {
        var b = new PuzzleSplitBuilder(seqLen);
        int[] Row(int start) => Enumerable.Range(start, seqLen).Select(v => v % 5).ToArray();
        b.BeginGroup();
        b.AddPuzzle(1, new[] { (Row(0), Row(1)) });
        b.AddPuzzle(2, new[] { (Row(2), Row(3)) });
        b.BeginGroup();
        b.AddPuzzle(3, new[] { (Row(4), Row(5)), (Row(6), Row(7)) });
        return b.Build();
    }

    [Fact]
    public void BuilderRecordsPuzzleAndGroupRanges()
    {
        var s = SmallSplit();
        Assert.Equal((4, 3, 2), (s.ExampleCount, s.PuzzleCount, s.GroupCount));
        Assert.Equal(new[] { 0, 1, 2, 4 }, s.PuzzleIndices);
        Assert.Equal(new[] { 0, 2, 3 }, s.GroupIndices);
        Assert.Equal(new[] { 1, 2, 3 }, s.PuzzleIdentifiers);
        Assert.Equal(new[] { 1, 2, 3, 4 }, s.Label(0).ToArray());
    }

    [Fact]
    public void WrittenDirectoryReadsBackFieldByField()
    {
        using var tmp = new TempDirectory();
        var dir = Path.Combine(tmp.Path, "data");
        var train = SmallSplit();
        var test = new PuzzleSplit(4, new[] { 1, 1, 1, 1 }, new[] { 0, 2, 3, 4 }, new[] { 0 }, new[] { 0, 1 }, new[] { 0, 1 });
        PuzzleDatasetDirectory.Write(dir, train, test, new[] { "<blank>", "a", "b", "c" }, vocabSize: 5, ignoreLabelId: 0);

        Assert.Equal(new[] { "<blank>", "a", "b", "c" }, PuzzleDatasetDirectory.ReadIdentifiers(dir));
        Assert.Equal("[\"<blank>\",\"a\",\"b\",\"c\"]", File.ReadAllText(Path.Combine(dir, "identifiers.json")));
        var meta = PuzzleDatasetDirectory.ReadMetadata(dir, "train");
        Assert.Equal(new DatasetMetadata(0, 0, 0, 5, 4, 4, 2, 4.0 / 3, new[] { "all" }, TotalPuzzles: 3) with { Sets = meta.Sets }, meta);
        Assert.Equal(new[] { "all" }, meta.Sets);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "train", "dataset.json"))).RootElement;
        Assert.Equal(new[] { "pad_id", "ignore_label_id", "blank_identifier_id", "vocab_size", "seq_len", "num_puzzle_identifiers", "total_groups", "mean_puzzle_examples", "total_puzzles", "sets" },
            json.EnumerateObject().Select(p => p.Name));   // TinyRecursiveModels' PuzzleDatasetMetadata requires total_puzzles
        Assert.Equal(NpyType.UInt8, Npy.Read(Path.Combine(dir, "train", "all__inputs.npy")).Type);
        Assert.Equal(NpyType.Int32, Npy.Read(Path.Combine(dir, "train", "all__puzzle_indices.npy")).Type);

        var back = PuzzleDatasetDirectory.ReadSet(dir, "train", "all");
        Assert.Equal(train.Inputs, back.Inputs);
        Assert.Equal(train.Labels, back.Labels);
        Assert.Equal(train.PuzzleIdentifiers, back.PuzzleIdentifiers);
        Assert.Equal(train.PuzzleIndices, back.PuzzleIndices);
        Assert.Equal(train.GroupIndices, back.GroupIndices);
        var backTest = PuzzleDatasetDirectory.ReadSet(dir, "test", "all");
        Assert.Equal(test.Labels, backTest.Labels);
        Assert.Equal(1.0, PuzzleDatasetDirectory.ReadMetadata(dir, "test").MeanPuzzleExamples);
    }

    [Fact]
    public void LargeVocabulariesAreWrittenAsInt32AndNullIgnoreIdRoundTrips()
    {
        using var tmp = new TempDirectory();
        var dir = Path.Combine(tmp.Path, "data");
        var split = new PuzzleSplit(2, new[] { 300, 1 }, new[] { 299, 2 }, new[] { 0 }, new[] { 0, 1 }, new[] { 0, 1 });
        PuzzleDatasetDirectory.Write(dir, split, split, new[] { "<blank>" }, vocabSize: 301, ignoreLabelId: null);
        Assert.Equal(NpyType.Int32, Npy.Read(Path.Combine(dir, "test", "all__labels.npy")).Type);
        Assert.Null(PuzzleDatasetDirectory.ReadMetadata(dir, "train").IgnoreLabelId);
        Assert.Equal(split.Inputs, PuzzleDatasetDirectory.ReadSet(dir, "test", "all").Inputs);
    }

    [Fact]
    public void ReadsADirectoryAsTheAuthorsBuildersWriteIt()
    {
        // As build_sudoku_dataset.py: json.dump spacing, mean_puzzle_examples as the int 1, tokens uint8, indices int32;
        // other builders may leave numpy's default int64.
        using var tmp = new TempDirectory();
        var dir = tmp.Path;
        File.WriteAllText(Path.Combine(dir, "identifiers.json"), "[\"<blank>\"]");
        foreach (var split in new[] { "train", "test" })
        {
            var d = Directory.CreateDirectory(Path.Combine(dir, split)).FullName;
            File.WriteAllText(Path.Combine(d, "dataset.json"),
                "{\"pad_id\": 0, \"ignore_label_id\": 0, \"blank_identifier_id\": 0, \"vocab_size\": 11, \"seq_len\": 3, " +
                "\"num_puzzle_identifiers\": 1, \"total_groups\": 1, \"mean_puzzle_examples\": 1, \"sets\": [\"all\"]}");
            Npy.WriteInt32(Path.Combine(d, "all__inputs.npy"), new[] { 1, 2, 3, 4, 1, 6 }, new long[] { 2, 3 }, NpyType.UInt8);
            Npy.WriteInt32(Path.Combine(d, "all__labels.npy"), new[] { 5, 2, 3, 4, 5, 6 }, new long[] { 2, 3 }, NpyType.UInt8);
            Npy.WriteInt32(Path.Combine(d, "all__puzzle_identifiers.npy"), new[] { 0, 0 }, new long[] { 2 }, NpyType.Int64);
            Npy.WriteInt32(Path.Combine(d, "all__puzzle_indices.npy"), new[] { 0, 1, 2 }, new long[] { 3 }, NpyType.Int64);
            Npy.WriteInt32(Path.Combine(d, "all__group_indices.npy"), new[] { 0, 2 }, new long[] { 2 }, NpyType.Int32);
        }
        var meta = PuzzleDatasetDirectory.ReadMetadata(dir, "train");
        Assert.Equal(1.0, meta.MeanPuzzleExamples);
        Assert.Null(meta.TotalPuzzles);   // HRM's builders do not write it
        var s = PuzzleDatasetDirectory.ReadSet(dir, "train", "all");
        Assert.Equal(new[] { 5, 2, 3, 4, 5, 6 }, s.Labels);
        Assert.Equal(new[] { 0, 1, 2 }, s.PuzzleIndices);
        Assert.Equal(1, s.GroupCount);
    }

    [Theory]
    [InlineData("{\"pad_id\": 0}", "missing field 'ignore_label_id'")]
    [InlineData("{\"pad_id\": \"0\", \"ignore_label_id\": 0}", "field 'pad_id' must be an integer")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"pad_id\": 0,", "malformed JSON")]
    public void MalformedMetadataIsAClearError(string json, string expected)
    {
        using var tmp = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(tmp.Path, "train"));
        File.WriteAllText(Path.Combine(tmp.Path, "train", "dataset.json"), json);
        var e = Assert.Throws<HrmException>(() => PuzzleDatasetDirectory.ReadMetadata(tmp.Path, "train"));
        Assert.Contains("dataset.json", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains("file not found", Assert.Throws<HrmException>(() => PuzzleDatasetDirectory.ReadMetadata(tmp.Path, "test")).Message);
    }

    [Fact]
    public void SplitValidationNamesTheProblem()
    {
        Assert.Contains("puzzle_indices ends at 1", Assert.Throws<HrmException>(() =>
            new PuzzleSplit(2, new int[4], new int[4], new[] { 0 }, new[] { 0, 1 }, new[] { 0, 1 })).Message);
        Assert.Contains("group_indices decreases", Assert.Throws<HrmException>(() =>
            new PuzzleSplit(1, new int[2], new int[2], new[] { 0, 0 }, new[] { 0, 1, 2 }, new[] { 0, 2, 1, 2 })).Message);
    }

    [Fact]
    public void AFailedWriteLeavesTheExistingDirectoryAndNoTemporaryOne()
    {
        using var tmp = new TempDirectory();
        var dir = Path.Combine(tmp.Path, "data");
        var split = SmallSplit();
        PuzzleDatasetDirectory.Write(dir, split, split, new[] { "<blank>", "a", "b", "c" }, vocabSize: 5);
        var bad = new PuzzleSplit(2, new[] { 300, 1 }, new[] { 1, 1 }, new[] { 0 }, new[] { 0, 1 }, new[] { 0, 1 });
        // Token 300 cannot be stored as uint8: the write fails half way through.
        Assert.ThrowsAny<ArgumentException>(() => PuzzleDatasetDirectory.Write(dir, bad, bad, new[] { "<blank>" }, vocabSize: 5));
        Assert.Equal(split.Inputs, PuzzleDatasetDirectory.ReadSet(dir, "train", "all").Inputs);
        Assert.Equal(new[] { "data" }, Directory.GetFileSystemEntries(tmp.Path).Select(Path.GetFileName));
        // A successful write replaces it.
        var other = new PuzzleSplit(4, new int[4], new[] { 1, 1, 1, 1 }, new[] { 0 }, new[] { 0, 1 }, new[] { 0, 1 });
        PuzzleDatasetDirectory.Write(dir, other, other, new[] { "<blank>" }, vocabSize: 5);
        Assert.Equal(1, PuzzleDatasetDirectory.ReadSet(dir, "train", "all").ExampleCount);
        Assert.Single(Directory.GetFileSystemEntries(tmp.Path));
    }
}
