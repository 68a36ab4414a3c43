// TEMPORARY stub of the dataset-directory API implemented on branch data-sudoku; dropped at merge.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hrm.Data;

public sealed record DatasetMetadata(int PadId, int? IgnoreLabelId, int BlankIdentifierId, int VocabSize, int SeqLen,
    int NumPuzzleIdentifiers, int TotalGroups, double MeanPuzzleExamples, IReadOnlyList<string> Sets);

public sealed class PuzzleSplit
{
    internal PuzzleSplit(int seqLen, int[] inputs, int[] labels, int[] ids, int[] puzzleIndices, int[] groupIndices)
    {
        SeqLen = seqLen; Inputs = inputs; Labels = labels; PuzzleIdentifiers = ids; PuzzleIndices = puzzleIndices; GroupIndices = groupIndices;
    }
    public int SeqLen { get; }
    public int[] Inputs { get; }
    public int[] Labels { get; }
    public int[] PuzzleIdentifiers { get; }
    public int[] PuzzleIndices { get; }
    public int[] GroupIndices { get; }
    public int ExampleCount => Inputs.Length / SeqLen;
    public int PuzzleCount => PuzzleIdentifiers.Length;
    public int GroupCount => GroupIndices.Length - 1;
}

public sealed class PuzzleSplitBuilder
{
    readonly int _seqLen;
    readonly List<int> _inputs = new(), _labels = new(), _ids = new(), _puzzles = new() { 0 }, _groups = new() { 0 };
    bool _open;

    public PuzzleSplitBuilder(int seqLen) { _seqLen = seqLen; }

    public void BeginGroup()
    {
        if (_open && _groups[^1] == _ids.Count) throw new InvalidOperationException("empty group");
        if (_open) _groups.Add(_ids.Count);
        _open = true;
    }

    public void AddPuzzle(int identifier, IReadOnlyList<(int[] Input, int[] Label)> examples)
    {
        if (!_open) throw new InvalidOperationException("AddPuzzle before BeginGroup");
        if (examples.Count == 0) throw new ArgumentException("a puzzle needs at least one example");
        foreach (var (i, l) in examples)
        {
            if (i.Length != _seqLen || l.Length != _seqLen) throw new ArgumentException($"example length must be {_seqLen}");
            _inputs.AddRange(i); _labels.AddRange(l);
        }
        _ids.Add(identifier);
        _puzzles.Add(_inputs.Count / _seqLen);
    }

    public PuzzleSplit Build()
    {
        var groups = new List<int>(_groups);
        if (_open && groups[^1] != _ids.Count) groups.Add(_ids.Count);
        return new PuzzleSplit(_seqLen, _inputs.ToArray(), _labels.ToArray(), _ids.ToArray(), _puzzles.ToArray(), groups.ToArray());
    }
}

public static class PuzzleDatasetDirectory
{
    public static void Write(string dir, PuzzleSplit train, PuzzleSplit test, IReadOnlyList<string> identifiers, int vocabSize, int? ignoreLabelId = 0)
    {
        var full = Path.GetFullPath(dir);
        var tmp = full.TrimEnd('/') + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(tmp);
        File.WriteAllText(Path.Combine(tmp, "identifiers.json"), JsonSerializer.Serialize(identifiers));
        foreach (var (name, s) in new[] { ("train", train), ("test", test) })
        {
            var d = Path.Combine(tmp, name);
            Directory.CreateDirectory(d);
            var meta = new JsonObject
            {
                ["pad_id"] = 0, ["ignore_label_id"] = ignoreLabelId, ["blank_identifier_id"] = 0, ["vocab_size"] = vocabSize,
                ["seq_len"] = s.SeqLen, ["num_puzzle_identifiers"] = identifiers.Count, ["total_groups"] = s.GroupCount,
                ["mean_puzzle_examples"] = s.PuzzleCount == 0 ? 0.0 : (double)s.ExampleCount / s.PuzzleCount, ["sets"] = new JsonArray("all"),
            };
            File.WriteAllText(Path.Combine(d, "dataset.json"), meta.ToJsonString());
            Npy.WriteInt32(Path.Combine(d, "all__inputs.npy"), s.Inputs, new long[] { s.ExampleCount, s.SeqLen }, NpyType.UInt8);
            Npy.WriteInt32(Path.Combine(d, "all__labels.npy"), s.Labels, new long[] { s.ExampleCount, s.SeqLen }, NpyType.UInt8);
            Npy.WriteInt32(Path.Combine(d, "all__puzzle_identifiers.npy"), s.PuzzleIdentifiers, new long[] { s.PuzzleCount });
            Npy.WriteInt32(Path.Combine(d, "all__puzzle_indices.npy"), s.PuzzleIndices, new long[] { s.PuzzleIndices.Length });
            Npy.WriteInt32(Path.Combine(d, "all__group_indices.npy"), s.GroupIndices, new long[] { s.GroupIndices.Length });
        }
        if (Directory.Exists(full)) Directory.Delete(full, true);
        Directory.Move(tmp, full);
    }

    public static DatasetMetadata ReadMetadata(string dir, string split)
    {
        var j = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, split, "dataset.json")))!;
        return new DatasetMetadata((int)j["pad_id"]!, (int?)j["ignore_label_id"], (int)j["blank_identifier_id"]!, (int)j["vocab_size"]!,
            (int)j["seq_len"]!, (int)j["num_puzzle_identifiers"]!, (int)j["total_groups"]!, (double)j["mean_puzzle_examples"]!,
            j["sets"]!.AsArray().Select(x => (string)x!).ToList());
    }

    public static PuzzleSplit ReadSet(string dir, string split, string set)
    {
        string P(string k) => Path.Combine(dir, split, $"{set}__{k}.npy");
        var inputs = Npy.Read(P("inputs"));
        return new PuzzleSplit((int)inputs.Shape[1], inputs.ToInt32(), Npy.Read(P("labels")).ToInt32(), Npy.Read(P("puzzle_identifiers")).ToInt32(),
            Npy.Read(P("puzzle_indices")).ToInt32(), Npy.Read(P("group_indices")).ToInt32());
    }

    public static IReadOnlyList<string> ReadIdentifiers(string dir) =>
        JsonSerializer.Deserialize<List<string>>(File.ReadAllText(Path.Combine(dir, "identifiers.json")))!;
}
