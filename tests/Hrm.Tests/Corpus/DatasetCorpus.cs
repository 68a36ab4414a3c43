using System.Text.Json.Nodes;
using Hrm.Data;
using Hrm.Tasks.Sudoku;
using static Hrm.Tests.Corpus.Samples;

namespace Hrm.Tests.Corpus;

/// <summary>
/// Broken dataset directories. Each is read twice: by <see cref="DatasetChecker"/> (`hrm data check`), which must
/// report a problem containing the expected text, and by the readers that training and evaluation use, which must
/// refuse the directory with a one-line HrmException (unless the rule is one only the checker applies).
/// </summary>
public static class DatasetCorpus
{
    /// <summary>What training and evaluation read: identifiers, both splits' metadata, every set's arrays.</summary>
    public static void ReadAll(string dir)
    {
        PuzzleDatasetDirectory.ReadIdentifiers(dir);
        foreach (var split in PuzzleDatasetDirectory.Splits)
        {
            var meta = PuzzleDatasetDirectory.ReadMetadata(dir, split);
            foreach (var set in meta.Sets) PuzzleDatasetDirectory.ReadSet(dir, split, set);
        }
    }

    static CorpusCase D(string name, string expected, Action<string> breakIt, bool checkerOnly = false) => new("dataset", name, expected, root =>
    {
        var dir = TinyDataset(Path.Combine(root, "data"));
        breakIt(dir);
        return () =>
        {
            var report = new DatasetChecker([new SudokuDatasetCheck()]).Check(dir);
            Assert.False(report.Ok, $"dataset/{name}: the checker found nothing wrong");
            Assert.True(report.Problems.Any(p => p.ToString().Contains(expected, StringComparison.OrdinalIgnoreCase)),
                $"dataset/{name}: no problem mentions '{expected}':\n{string.Join("\n", report.Problems)}");
            if (checkerOnly) return;
            var e = Record.Exception(() => ReadAll(dir));
            Assert.True(e is HrmException, $"dataset/{name}: the readers gave {(e is null ? "no error" : e.GetType().Name + ": " + e.Message)}");
            Assert.DoesNotContain('\n', e!.Message);
        };
    }) { AssertsItself = true };

    static string F(string dir, string split, string array) => Path.Combine(dir, split, PuzzleDatasetDirectory.ArrayFile("all", array));

    static void Json(string dir, string split, Action<JsonObject> change)
    {
        var path = Path.Combine(dir, split, "dataset.json");
        var obj = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(obj);
        File.WriteAllText(path, obj.ToJsonString());
    }

    /// <summary>Rewrites one array of the train split: its values (int32) changed by f, with the given shape or its own.</summary>
    static void Array(string dir, string array, Func<int[], int[]> f, Func<long[], long[]>? shape = null, NpyType type = NpyType.Int32)
    {
        var path = F(dir, "train", array);
        var a = Npy.Read(path);
        var values = f(a.ToInt32());
        var s = shape?.Invoke(a.Shape) ?? (values.Length == a.Count ? a.Shape : [values.Length]);
        Npy.WriteInt32(path, values, s, type);
    }

    static int[] Set(int[] a, int index, int value) { var b = (int[])a.Clone(); b[index] = value; return b; }

    public static IEnumerable<CorpusCase> Cases()
    {
        yield return D("identifiers-missing", "identifiers.json: file not found", d => File.Delete(Path.Combine(d, "identifiers.json")));
        yield return D("identifiers-object", "expected a JSON list of strings", d => File.WriteAllText(Path.Combine(d, "identifiers.json"), "{}"));
        yield return D("identifiers-numbers", "expected a JSON list of strings", d => File.WriteAllText(Path.Combine(d, "identifiers.json"), "[1, 2]"));
        yield return D("identifiers-null", "expected a list of strings", d => File.WriteAllText(Path.Combine(d, "identifiers.json"), "null"));
        yield return D("metadata-missing", "train/dataset.json: file not found", d => File.Delete(Path.Combine(d, "train", "dataset.json")));
        yield return D("metadata-test-missing", "test/dataset.json: file not found", d => File.Delete(Path.Combine(d, "test", "dataset.json")));
        yield return D("metadata-malformed", "malformed JSON", d => File.WriteAllText(Path.Combine(d, "train", "dataset.json"), "{\"pad_id\": 0,"));
        yield return D("metadata-array", "expected a JSON object", d => File.WriteAllText(Path.Combine(d, "train", "dataset.json"), "[]"));
        yield return D("metadata-empty-file", "malformed JSON", d => File.WriteAllText(Path.Combine(d, "train", "dataset.json"), ""));
        yield return D("vocab-missing", "missing field 'vocab_size'", d => Json(d, "train", o => o.Remove("vocab_size")));
        yield return D("vocab-string", "field 'vocab_size' must be an integer", d => Json(d, "train", o => o["vocab_size"] = "6"));
        yield return D("vocab-fraction", "field 'vocab_size' must be an integer", d => Json(d, "train", o => o["vocab_size"] = 6.5));
        yield return D("vocab-zero", "must be positive", d => Json(d, "train", o => o["vocab_size"] = 0));
        yield return D("seq-len-negative", "must be positive", d => Json(d, "train", o => o["seq_len"] = -16));
        yield return D("ignore-label-string", "field 'ignore_label_id' must be an integer", d => Json(d, "train", o => o["ignore_label_id"] = "none"));
        yield return D("mean-examples-string", "'mean_puzzle_examples' must be a number", d => Json(d, "train", o => o["mean_puzzle_examples"] = "1"));
        yield return D("sets-not-list", "field 'sets' must be a list of strings", d => Json(d, "train", o => o["sets"] = "all"));
        yield return D("sets-numbers", "field 'sets' must be a list of strings", d => Json(d, "train", o => o["sets"] = new JsonArray(1)));
        yield return D("sets-empty", "sets is empty", d => Json(d, "train", o => o["sets"] = new JsonArray()));
        yield return D("set-without-files", "train/extra__inputs.npy: file not found", d => Json(d, "train", o => o["sets"] = new JsonArray("all", "extra")));
        yield return D("inputs-missing", "train/all__inputs.npy: file not found", d => File.Delete(F(d, "train", "inputs")));
        yield return D("group-indices-missing", "test/all__group_indices.npy: file not found", d => File.Delete(F(d, "test", "group_indices")));
        yield return D("labels-fewer-rows", "rows but inputs have", d => Array(d, "labels", a => a[..^16], s => [s[0] - 1, s[1]]));
        yield return D("inputs-1d", "is not (N, seq_len 16)", d => Array(d, "inputs", a => a, s => [s[0] * s[1]]));
        yield return D("inputs-wrong-width", "is not (N, seq_len 16)", d => Array(d, "inputs", a => a, s => [s[0] * 2, s[1] / 2]));
        yield return D("identifiers-2d", "expected a 1-D array", d => Array(d, "puzzle_identifiers", a => a, s => [s[0], 1]));
        yield return D("input-token-out-of-vocab", "row 0: token 9 at position 0 is outside 0..5", d => Array(d, "inputs", a => Set(a, 0, 9)));
        yield return D("input-token-negative", "row 1: token -1 at position 2 is outside 0..5", d => Array(d, "inputs", a => Set(a, 18, -1)));
        yield return D("label-out-of-vocab", "row 0: token 7 at position 3 is outside 0..5", d => Array(d, "labels", a => Set(a, 3, 7)));
        yield return D("label-huge", "is outside 0..5", d => Array(d, "labels", a => Set(a, 20, int.MaxValue)));
        yield return D("identifier-out-of-range", "identifier 5 outside 0..0", d => Array(d, "puzzle_identifiers", a => Set(a, 0, 5)));
        yield return D("identifier-negative", "identifier -3 outside 0..0", d => Array(d, "puzzle_identifiers", a => Set(a, 1, -3)));
        yield return D("puzzle-indices-not-zero", "must start at 0", d => Array(d, "puzzle_indices", a => Set(a, 0, 1)));
        yield return D("puzzle-indices-decreasing", "is not above", d => Array(d, "puzzle_indices", a => Set(a, 2, 0)));
        yield return D("puzzle-indices-past-end", "ends at 99", d => Array(d, "puzzle_indices", a => Set(a, a.Length - 1, 99)));
        yield return D("puzzle-indices-short", "expected puzzle count + 1", d => Array(d, "puzzle_indices", a => a[..^1]));
        yield return D("group-indices-empty", "must start at 0", d => Array(d, "group_indices", _ => []));
        yield return D("group-indices-past-end", "ends at 50", d => Array(d, "group_indices", a => Set(a, a.Length - 1, 50)));
        yield return D("inputs-float", "expected an integer array", d => Npy.WriteFloat32(F(d, "train", "inputs"), new float[8 * 16], [8, 16]));
        yield return D("inputs-uint64-huge", "does not fit", d =>
        {
            var bytes = Enumerable.Repeat(ulong.MaxValue, 8 * 16).SelectMany(BitConverter.GetBytes).ToArray();
            File.WriteAllBytes(F(d, "train", "inputs"), NpyBytes("{'descr': '<u8', 'fortran_order': False, 'shape': (8, 16), }", bytes));
        });
        yield return D("inputs-int64-big", "does not fit in int32", d =>
        {
            var bytes = Enumerable.Repeat(1L << 40, 8 * 16).SelectMany(BitConverter.GetBytes).ToArray();
            File.WriteAllBytes(F(d, "train", "inputs"), NpyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (8, 16), }", bytes));
        });
        yield return D("inputs-truncated", "truncated data", d => { var p = F(d, "train", "inputs"); var b = File.ReadAllBytes(p); File.WriteAllBytes(p, b[..(b.Length - 10)]); });
        yield return D("inputs-not-npy", "bad magic", d => File.WriteAllText(F(d, "test", "inputs"), "1,2,3"));
        yield return D("metadata-of-a-maze", "is not (N, seq_len 900)", d => Json(d, "train", o => { o["seq_len"] = 900; o["vocab_size"] = 6; }));
        yield return D("metadata-of-9x9-sudoku", "is not (N, seq_len 81)", d => { Json(d, "train", o => { o["seq_len"] = 81; o["vocab_size"] = 11; }); Json(d, "test", o => { o["seq_len"] = 81; o["vocab_size"] = 11; }); });
        yield return D("test-vocab-differs", "must equal the train split's", d => Json(d, "test", o => o["vocab_size"] = 7), checkerOnly: true);
        yield return D("total-groups-wrong", "total_groups 5 but the arrays hold 8 groups", d => Json(d, "train", o => o["total_groups"] = 5), checkerOnly: true);
        yield return D("mean-examples-wrong", "mean_puzzle_examples 3", d => Json(d, "train", o => o["mean_puzzle_examples"] = 3.0), checkerOnly: true);
        yield return D("identifier-count-mismatch", "identifiers.json lists 3", d => File.WriteAllText(Path.Combine(d, "identifiers.json"), "[\"<blank>\", \"a\", \"b\"]"), checkerOnly: true);
        yield return D("labels-all-ignored", "every label is the ignore id 0", d => Array(d, "labels", a => a.Select((v, i) => i < 16 ? 0 : v).ToArray()), checkerOnly: true);
        yield return D("label-not-a-solution", "row 0", d => Array(d, "labels", a => Set(Set(a, 0, a[1]), 1, a[0] == a[1] ? a[2] : a[0])), checkerOnly: true);
    }
}
