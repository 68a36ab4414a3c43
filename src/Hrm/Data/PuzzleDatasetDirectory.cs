using System.Text.Json;

namespace Hrm.Data;

/// <summary>
/// Reads and writes the reference's dataset directory:
/// <c>DIR/identifiers.json</c>, <c>DIR/{train,test}/dataset.json</c> and
/// <c>DIR/{train,test}/{set}__{inputs,labels,puzzle_identifiers,puzzle_indices,group_indices}.npy</c>.
/// </summary>
public static class PuzzleDatasetDirectory
{
    public static readonly string[] Splits = { "train", "test" };
    public static readonly string[] ArrayNames = { "inputs", "labels", "puzzle_identifiers", "puzzle_indices", "group_indices" };
    public const string DefaultSet = "all";

    // Plain JSON like Python's json.dump ("<blank>" rather than "\u003Cblank\u003E"); these files are never embedded in HTML.
    static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ArrayFile(string set, string array) => $"{set}__{array}.npy";

    /// <summary>
    /// Writes both splits into a temporary sibling directory and renames it to <paramref name="dir"/> at the end
    /// (<see cref="AtomicFile.WriteFolder"/>), so a failure (a full disk) never leaves a half-written dataset: an existing
    /// directory is replaced only after success, and the error names the file that could not be written.
    /// </summary>
    public static void Write(string dir, PuzzleSplit train, PuzzleSplit test, IReadOnlyList<string> identifiers, int vocabSize, int? ignoreLabelId = 0, string? task = null)
    {
        if (train.SeqLen != test.SeqLen) throw new HrmException($"train seq_len {train.SeqLen} differs from test seq_len {test.SeqLen}");
        if (identifiers.Count == 0) throw new HrmException("identifiers must hold at least the blank identifier");
        AtomicFile.WriteFolder(dir, "the dataset", tmp =>
        {
            AtomicFile.WriteAllText(Path.Combine(tmp, "identifiers.json"), JsonSerializer.Serialize(identifiers, JsonOptions));
            WriteSplit(Path.Combine(tmp, "train"), train, identifiers.Count, vocabSize, ignoreLabelId, task);
            WriteSplit(Path.Combine(tmp, "test"), test, identifiers.Count, vocabSize, ignoreLabelId, task);
        });
    }

    /// <summary>The dataset.json of a split holding <paramref name="split"/> as its one set.</summary>
    public static DatasetMetadata MetadataOf(PuzzleSplit split, int numIdentifiers, int vocabSize, int? ignoreLabelId = 0, string? task = null) => new(
        PadId: 0, IgnoreLabelId: ignoreLabelId, BlankIdentifierId: 0, VocabSize: vocabSize, SeqLen: split.SeqLen,
        NumPuzzleIdentifiers: numIdentifiers, TotalGroups: split.GroupCount,
        MeanPuzzleExamples: split.PuzzleCount == 0 ? 0 : (double)split.ExampleCount / split.PuzzleCount,
        Sets: new[] { DefaultSet }, Task: task, TotalPuzzles: split.PuzzleCount);

    static void WriteSplit(string splitDir, PuzzleSplit split, int numIdentifiers, int vocabSize, int? ignoreLabelId, string? task)
    {
        var metadata = MetadataOf(split, numIdentifiers, vocabSize, ignoreLabelId, task);
        AtomicFile.WriteAllText(Path.Combine(splitDir, "dataset.json"), JsonSerializer.Serialize(metadata, JsonOptions));
        // The reference stores tokens as uint8 (np.uint8 arithmetic in its builders); int32 only when they do not fit.
        var tokenType = vocabSize <= 256 ? NpyType.UInt8 : NpyType.Int32;
        long[] rows = { split.ExampleCount, split.SeqLen };
        string F(string a) => Path.Combine(splitDir, ArrayFile(DefaultSet, a));
        Npy.WriteInt32(F("inputs"), split.Inputs, rows, tokenType);
        Npy.WriteInt32(F("labels"), split.Labels, rows, tokenType);
        Npy.WriteInt32(F("puzzle_identifiers"), split.PuzzleIdentifiers, new long[] { split.PuzzleCount });
        Npy.WriteInt32(F("puzzle_indices"), split.PuzzleIndices, new long[] { split.PuzzleIndices.Length });
        Npy.WriteInt32(F("group_indices"), split.GroupIndices, new long[] { split.GroupIndices.Length });
    }

    /// <summary>
    /// The dataset folders behind <paramref name="dir"/>: the folder itself when it is a dataset (it has
    /// <c>train/dataset.json</c>), else its sub-folders that are datasets, one task at several grid sizes
    /// (<c>hrm data maze --size 11,15,21</c> writes <c>OUT/11x11</c>, <c>OUT/15x15</c>, ...), ordered by seq_len and
    /// then name. A folder with neither is returned as it is, so that reading it reports the missing file.
    /// </summary>
    public static IReadOnlyList<string> Parts(string dir)
    {
        if (!Directory.Exists(dir) || File.Exists(Path.Combine(dir, "train", "dataset.json"))) return [dir];
        var parts = Directory.GetDirectories(dir).Where(d => File.Exists(Path.Combine(d, "train", "dataset.json")))
            .Select(d => (Dir: d, ReadMetadata(d, "train").SeqLen)).OrderBy(p => p.SeqLen).ThenBy(p => p.Dir, StringComparer.Ordinal)
            .Select(p => p.Dir).ToList();
        return parts.Count == 0 ? [dir] : parts;
    }

    /// <summary>Reads <c>DIR/SPLIT/dataset.json</c>, with a clear error for a missing file, a missing field or a wrong JSON type.</summary>
    public static DatasetMetadata ReadMetadata(string dir, string split)
    {
        var path = Path.Combine(dir, split, "dataset.json");
        if (!File.Exists(path)) throw new HrmException("file not found") { File = path };
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new HrmException($"malformed JSON: {e.Message}") { File = path }; }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new HrmException("expected a JSON object") { File = path };
            JsonElement Field(string name) => root.TryGetProperty(name, out var v) ? v : throw new HrmException($"missing field '{name}'") { File = path };
            int Int(string name)
            {
                var v = Field(name);
                return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i
                    : throw new HrmException($"field '{name}' must be an integer, found {v.GetRawText()}") { File = path };
            }
            // Fields in the reference's order, so the first problem reported is the first in the file.
            int padId = Int("pad_id");
            int? ignore = Field("ignore_label_id").ValueKind == JsonValueKind.Null ? null : Int("ignore_label_id");
            int blankId = Int("blank_identifier_id"), vocab = Int("vocab_size"), seqLen = Int("seq_len");
            int identifiers = Int("num_puzzle_identifiers"), groups = Int("total_groups");
            var mean = Field("mean_puzzle_examples");
            if (mean.ValueKind != JsonValueKind.Number) throw new HrmException($"field 'mean_puzzle_examples' must be a number, found {mean.GetRawText()}") { File = path };
            // TinyRecursiveModels' field (its loader requires it); HRM's builders do not write it.
            int? puzzles = null;
            if (root.TryGetProperty("total_puzzles", out var tp) && tp.ValueKind != JsonValueKind.Null) puzzles = Int("total_puzzles");
            var sets = Field("sets");
            if (sets.ValueKind != JsonValueKind.Array || sets.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
                throw new HrmException($"field 'sets' must be a list of strings, found {sets.GetRawText()}") { File = path };
            string? task = null;
            if (root.TryGetProperty("task", out var t) && t.ValueKind != JsonValueKind.Null)
                // The name is resolved against the task registry where the task is used (Tasks sits above Data).
                task = t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 and <= 64 } name && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? name
                    : throw new HrmException($"field 'task' must be a task name such as \"sudoku\", \"maze\" or \"arc\", found {t.GetRawText()}") { File = path };
            var meta = new DatasetMetadata(padId, ignore, blankId, vocab, seqLen, identifiers, groups, mean.GetDouble(),
                sets.EnumerateArray().Select(s => s.GetString()!).ToArray(), task, puzzles);
            if (meta.SeqLen <= 0 || meta.VocabSize <= 0) throw new HrmException("seq_len and vocab_size must be positive") { File = path };
            if (meta.NumPuzzleIdentifiers <= 0) throw new HrmException("num_puzzle_identifiers must be positive") { File = path };
            if (meta.Sets.Count == 0) throw new HrmException("sets is empty (it names the sets of arrays to read)") { File = path };
            return meta;
        }
    }

    /// <summary>Reads one set of one split; any integer dtype is cast to int32, shapes are checked against the metadata.</summary>
    public static PuzzleSplit ReadSet(string dir, string split, string set)
    {
        var meta = ReadMetadata(dir, split);
        var arrays = ArrayNames.ToDictionary(a => a, a => Npy.Read(Path.Combine(dir, split, ArrayFile(set, a))));
        string Name(string a) => Path.Combine(dir, split, ArrayFile(set, a));
        foreach (var a in new[] { "inputs", "labels" })
        {
            var s = arrays[a].Shape;
            if (s.Length != 2 || s[1] != meta.SeqLen)
                throw new HrmException($"{Name(a)}: shape ({string.Join(", ", s)}) is not (N, seq_len {meta.SeqLen})");
        }
        if (arrays["inputs"].Shape[0] != arrays["labels"].Shape[0])
            throw new HrmException($"{Name("labels")}: {arrays["labels"].Shape[0]} rows but inputs have {arrays["inputs"].Shape[0]}");
        foreach (var a in new[] { "puzzle_identifiers", "puzzle_indices", "group_indices" })
            if (arrays[a].Shape.Length != 1) throw new HrmException($"{Name(a)}: expected a 1-D array, shape is ({string.Join(", ", arrays[a].Shape)})");
        int[] Ints(string a)
        {
            try { return arrays[a].ToInt32(); }
            catch (HrmException e) { throw e.At(Name(a)); }
        }
        var (inputs, labels, ids) = (Ints("inputs"), Ints("labels"), Ints("puzzle_identifiers"));
        // Out-of-range tokens or identifiers would index past the model's embedding tables: refuse them here, with the
        // row, rather than as an error from deep inside libtorch (or, for labels, as a silently wrong accuracy).
        foreach (var (a, tokens) in new[] { ("inputs", inputs), ("labels", labels) })
            if (FirstTokenOutside(tokens, meta.SeqLen, meta.VocabSize) is string problem) throw new HrmException($"{Name(a)} {problem}");
        if (FirstIdentifierOutside(ids, meta.NumPuzzleIdentifiers) is string bad) throw new HrmException($"{Name("puzzle_identifiers")} {bad}");
        try
        {
            return new PuzzleSplit(meta.SeqLen, inputs, labels, ids, Ints("puzzle_indices"), Ints("group_indices"));
        }
        catch (HrmException e) when (e.File is null)
        {
            throw e.Within($"{Path.Combine(dir, split)} set '{set}'");
        }
    }

    /// <summary>"row R: token T at position P is outside 0..V-1 (vocab_size V)" for the first bad token of row-major rows, or null.</summary>
    public static string? FirstTokenOutside(ReadOnlySpan<int> tokens, int seqLen, int vocabSize)
    {
        int bad = tokens.IndexOfAnyExceptInRange(0, vocabSize - 1);
        return bad < 0 ? null : $"row {bad / seqLen}: token {tokens[bad]} at position {bad % seqLen} is outside 0..{vocabSize - 1} (vocab_size {vocabSize})";
    }

    /// <summary>"row P: identifier I outside 0..N-1" for the first puzzle identifier out of range, or null.</summary>
    public static string? FirstIdentifierOutside(ReadOnlySpan<int> ids, int count)
    {
        int bad = ids.IndexOfAnyExceptInRange(0, count - 1);
        return bad < 0 ? null : $"row {bad}: identifier {ids[bad]} outside 0..{count - 1}";
    }

    public static IReadOnlyList<string> ReadIdentifiers(string dir)
    {
        var path = Path.Combine(dir, "identifiers.json");
        if (!File.Exists(path)) throw new HrmException("file not found") { File = path };
        try
        {
            return JsonSerializer.Deserialize<string[]>(File.ReadAllText(path)) ?? throw new HrmException("expected a list of strings, found null") { File = path };
        }
        catch (JsonException e) { throw new HrmException($"expected a JSON list of strings: {e.Message}") { File = path }; }
    }
}
