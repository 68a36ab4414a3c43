using System.Text.Json;

namespace Hrm.Tasks.Arc;

/// <summary>
/// Reads ARC tasks from either layout:
/// a folder (searched recursively) of per-task files TASK.json = {"train": [{"input", "output"}...], "test": [...]}
/// (ARC-AGI-1 / ARC-AGI-2 repositories, ConceptARC corpus), or the Kaggle combined pair
/// NAME_challenges.json (task id -> {"train", "test": [{"input"}]}) + NAME_solutions.json (task id -> test outputs),
/// given as the challenges file or found inside a folder. Grids are checked (rectangular, 1..30 per side, colours
/// 0..9); any problem is an HrmException naming the file and task.
/// </summary>
public static class ArcReader
{
    const string ChallengesSuffix = "_challenges.json", SolutionsSuffix = "_solutions.json";

    /// <summary>All tasks under <paramref name="path"/> (a folder or a file), in ordinal order of file path.</summary>
    public static IReadOnlyList<ArcTask> Read(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*.json", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(SolutionsSuffix, StringComparison.Ordinal))
                .OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (files.Count == 0) throw new HrmException($"{path}: no task .json files in this folder");
            return files.SelectMany(ReadFile).ToList();
        }
        if (File.Exists(path)) return ReadFile(path);
        throw new HrmException($"{path}: no such file or folder");
    }

    /// <summary>One task from its JSON text ({"train": [...], "test": [...]}), as a client sends it; errors name
    /// <paramref name="where"/> instead of a file.</summary>
    public static ArcTask ReadText(string json, string name = "task", string where = "ARC task")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw new HrmException($"{where}: invalid JSON: {e.Message.Split('\n')[0]}"); }
        using (doc) return ReadTask(doc.RootElement, name, where, solutions: null);
    }

    static IReadOnlyList<ArcTask> ReadFile(string file)
    {
        if (file.EndsWith(ChallengesSuffix, StringComparison.Ordinal)) return ReadCombined(file);
        if (file.EndsWith(SolutionsSuffix, StringComparison.Ordinal))
            throw new HrmException($"{file}: this is a solutions file; pass the matching {ChallengesSuffix} file");
        using var doc = Parse(file);
        var name = Path.GetFileNameWithoutExtension(file);
        return new[] { ReadTask(doc.RootElement, name, file, solutions: null) };
    }

    /// <summary>A Kaggle challenges file and the solutions file beside it.</summary>
    public static IReadOnlyList<ArcTask> ReadCombined(string challengesFile)
    {
        var solutionsFile = challengesFile[..^ChallengesSuffix.Length] + SolutionsSuffix;
        if (!File.Exists(solutionsFile)) throw new HrmException($"{challengesFile}: solutions file {solutionsFile} not found");
        using var challenges = Parse(challengesFile);
        using var solutions = Parse(solutionsFile);
        if (challenges.RootElement.ValueKind != JsonValueKind.Object) throw new HrmException($"{challengesFile}: expected an object of task id -> task");
        if (solutions.RootElement.ValueKind != JsonValueKind.Object) throw new HrmException($"{solutionsFile}: expected an object of task id -> list of test outputs");
        var tasks = new List<ArcTask>();
        foreach (var entry in challenges.RootElement.EnumerateObject())
        {
            if (!solutions.RootElement.TryGetProperty(entry.Name, out var outputs))
                throw new HrmException($"{solutionsFile}: task {entry.Name}: no solutions for this task of {Path.GetFileName(challengesFile)}");
            tasks.Add(ReadTask(entry.Value, entry.Name, challengesFile, (outputs, solutionsFile)));
        }
        if (tasks.Count == 0) throw new HrmException($"{challengesFile}: no tasks");
        return tasks;
    }

    static JsonDocument Parse(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var text = bytes.AsMemory();
        if (text.Span.StartsWith("\uFEFF"u8)) text = text[3..];   // a UTF-8 byte-order mark, as some editors write
        if (text.Span.Trim(" \r\n\t"u8).Length == 0) throw new HrmException($"{file}: empty file");
        if (!System.Text.Unicode.Utf8.IsValid(text.Span)) throw new HrmException($"{file}: invalid JSON: not UTF-8 text");
        try { return JsonDocument.Parse(text, new JsonDocumentOptions { AllowDuplicateProperties = false }); }
        catch (JsonException e) { throw new HrmException($"{file}: invalid JSON: {FirstLine(e.Message)}"); }
    }

    static string FirstLine(string s) => s.Split('\n')[0].Trim();

    static ArcTask ReadTask(JsonElement task, string name, string file, (JsonElement Outputs, string File)? solutions)
    {
        var where = $"{file}: task {name}";
        if (task.ValueKind != JsonValueKind.Object) throw new HrmException($"{where}: expected an object with \"train\" and \"test\"");
        var train = ReadPairs(task, "train", where, name, null);
        var test = ReadPairs(task, "test", where, name, solutions);
        if (train.Count == 0) throw new HrmException($"{where}: no \"train\" pairs");
        if (test.Count == 0) throw new HrmException($"{where}: no \"test\" pairs");
        return new ArcTask(name, train, test, file);
    }

    static List<ArcPair> ReadPairs(JsonElement task, string key, string where, string name, (JsonElement Outputs, string File)? solutions)
    {
        if (!task.TryGetProperty(key, out var list) || list.ValueKind != JsonValueKind.Array)
            throw new HrmException($"{where}: missing \"{key}\" list");
        if (solutions is { } s && (s.Outputs.ValueKind != JsonValueKind.Array || s.Outputs.GetArrayLength() != list.GetArrayLength()))
            throw new HrmException($"{s.File}: task {name}: expected {list.GetArrayLength()} test outputs");
        var pairs = new List<ArcPair>();
        int i = 0;
        foreach (var pair in list.EnumerateArray())
        {
            var at = $"{where}: {key} pair {i}";
            if (pair.ValueKind != JsonValueKind.Object || !pair.TryGetProperty("input", out var input))
                throw new HrmException($"{at}: missing \"input\"");
            JsonElement output;
            if (solutions is { } sol) output = sol.Outputs[i];
            else if (!pair.TryGetProperty("output", out output)) throw new HrmException($"{at}: missing \"output\"");
            pairs.Add(new ArcPair(ReadGrid(input, $"{at} input"), ReadGrid(output, $"{at} output")));
            i++;
        }
        return pairs;
    }

    /// <summary>A grid from a JSON list of rows, checked: rectangular, 1..30 rows and columns, colours 0..9.</summary>
    public static ArcGrid ReadGrid(JsonElement grid, string where)
    {
        if (grid.ValueKind != JsonValueKind.Array || grid.GetArrayLength() == 0) throw new HrmException($"{where}: expected a non-empty list of rows");
        int h = grid.GetArrayLength();
        if (h > ArcGrid.MaxSize) throw new HrmException($"{where}: grid has {h} rows, more than {ArcGrid.MaxSize}");
        int w = -1, r = 0;
        int[] cells = Array.Empty<int>();
        foreach (var row in grid.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() == 0) throw new HrmException($"{where}: row {r} is not a non-empty list of colours");
            if (w < 0)
            {
                w = row.GetArrayLength();
                if (w > ArcGrid.MaxSize) throw new HrmException($"{where}: grid has {w} columns, more than {ArcGrid.MaxSize}");
                cells = new int[h * w];
            }
            else if (row.GetArrayLength() != w) throw new HrmException($"{where}: ragged grid: row {r} has {row.GetArrayLength()} cells, row 0 has {w}");
            int c = 0;
            foreach (var v in row.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var colour) || colour is < 0 or > 9)
                    throw new HrmException($"{where}: cell ({r}, {c}) = {v.GetRawText()} is not a colour 0..9");
                cells[r * w + c++] = colour;
            }
            r++;
        }
        return new ArcGrid(h, w, cells);
    }
}
