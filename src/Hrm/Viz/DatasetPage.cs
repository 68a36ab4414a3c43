using System.Text.Json;
using Hrm.Data;
using Hrm.Tasks;

namespace Hrm.Viz;

/// <summary>
/// How much of a dataset the browser page embeds. The page carries compact text grids ("C:cells", one character per
/// cell) and draws only the current page of groups and the selected puzzle, so its size is bounded by these caps.
/// </summary>
public sealed record DatasetPageOptions
{
    /// <summary>Puzzles embedded per group: the original and up to this many minus one augmentations.</summary>
    public int MaxPuzzlesPerGroup { get; init; } = 8;
    /// <summary>Examples embedded per puzzle (ARC puzzles hold a task's demonstration pairs).</summary>
    public int MaxExamplesPerPuzzle { get; init; } = 10;
    /// <summary>Groups embedded per split (in file order).</summary>
    public int MaxGroupsPerSplit { get; init; } = 5000;
    /// <summary>
    /// Cells embedded per split at most (about one byte each in the page). Every group's original comes first, then
    /// the first augmentation of every group, and so on while the budget lasts, so a large set keeps all its groups.
    /// </summary>
    public int MaxCellsPerSplit { get; init; } = 2_000_000;
    /// <summary>Groups listed per page of the browser.</summary>
    public int GroupsPerPage { get; init; } = 25;

    public DatasetPageOptions Validate()
    {
        if (MaxPuzzlesPerGroup < 1) throw new HrmException($"puzzles per group must be >= 1, got {MaxPuzzlesPerGroup}");
        if (MaxExamplesPerPuzzle < 1) throw new HrmException($"examples per puzzle must be >= 1, got {MaxExamplesPerPuzzle}");
        if (MaxGroupsPerSplit < 1) throw new HrmException($"groups per split must be >= 1, got {MaxGroupsPerSplit}");
        if (MaxCellsPerSplit < 1) throw new HrmException($"cells per split must be >= 1, got {MaxCellsPerSplit}");
        if (GroupsPerPage < 1) throw new HrmException($"groups per page must be >= 1, got {GroupsPerPage}");
        return this;
    }
}

/// <summary>
/// `hrm viz --data DIR`: a browser for a dataset directory like the authors' puzzle_visualizer.html (splits -> groups
/// -> puzzles, an original and its augmentations -> examples, each input beside its label), for Sudoku, maze and ARC
/// sets (the task comes from seq_len and vocab_size). Self-contained HTML, paged (see <see cref="DatasetPageOptions"/>).
/// Hooks: #ds-split, #ds-groups li[data-group], #ds-puzzles button[data-puzzle], .ds-example[data-example] with two
/// grids of .cell[data-row][data-col], #ds-prev / #ds-next / #ds-page.
/// </summary>
public static class DatasetPage
{
    public static string Render(string dataDir, DatasetPageOptions? options = null)
    {
        var o = (options ?? new DatasetPageOptions()).Validate();
        if (!Directory.Exists(dataDir)) throw new HrmException($"{dataDir}: dataset directory not found");
        var splits = PuzzleDatasetDirectory.Splits.Where(s => File.Exists(Path.Combine(dataDir, s, "dataset.json"))).ToList();
        if (splits.Count == 0) throw new HrmException($"{dataDir}: no train/dataset.json or test/dataset.json: not a dataset directory");
        var names = File.Exists(Path.Combine(dataDir, "identifiers.json")) ? PuzzleDatasetDirectory.ReadIdentifiers(dataDir) : [];

        PuzzleTask? task = null;
        var splitData = new List<object>();
        foreach (var split in splits)
        {
            var meta = PuzzleDatasetDirectory.ReadMetadata(dataDir, split);
            PuzzleTask t;
            try { t = PuzzleTask.Resolve(meta.Task, meta.SeqLen, meta.VocabSize); }
            catch (HrmException e) { throw e.At(Path.Combine(dataDir, split)); }
            if (task is not null && t.Name != task.Name) throw new HrmException($"{dataDir}: the splits hold different tasks ({task} and {t})");
            task = t;
            foreach (var set in meta.Sets)
                splitData.Add(Split(meta.Sets.Count == 1 ? split : $"{split}/{set}", PuzzleDatasetDirectory.ReadSet(dataDir, split, set), t, names, o));
        }
        var taskName = task!.Name;
        var name = Path.GetFileName(Path.GetFullPath(dataDir).TrimEnd(Path.DirectorySeparatorChar));
        var data = new Dictionary<string, object>
        {
            ["name"] = name,
            ["task"] = taskName,
            ["pageSize"] = o.GroupsPerPage,
            ["note"] = $"{Path.GetFullPath(dataDir)}. Embedded per split: up to {o.MaxGroupsPerSplit} groups, {o.MaxPuzzlesPerGroup} puzzles per group (the original first, then the same augmentations of every group while {o.MaxCellsPerSplit:N0} cells last) and {o.MaxExamplesPerPuzzle} examples per puzzle; the counts in headings are the dataset's own (hrm viz --data DIR --max-puzzles K --max-cells N for more).",
            ["splits"] = splitData,
        };
        var json = JsonSerializer.Serialize(data, VizAssets.EmbedJson);
        return VizAssets.Page($"HRM dataset: {name}", "hrm-dataset", json,
            "HrmViz.renderDataset(document.getElementById('app'), JSON.parse(document.getElementById('hrm-dataset').textContent));");
    }

    public static void Write(string dataDir, string path, DatasetPageOptions? options = null) => AtomicFile.WriteAllText(path, Render(dataDir, options));

    static object Split(string label, PuzzleSplit s, PuzzleTask task, IReadOnlyList<string> names, DatasetPageOptions o)
    {
        int groupCount = Math.Min(s.GroupCount, o.MaxGroupsPerSplit);
        var encoded = new Dictionary<int, (List<string[]> Examples, long Cells)>();
        (List<string[]> Examples, long Cells) Encode(int p)
        {
            if (encoded.TryGetValue(p, out var done)) return done;
            int e0 = s.PuzzleIndices[p], e1 = Math.Min(s.PuzzleIndices[p + 1], e0 + o.MaxExamplesPerPuzzle);
            var examples = new List<string[]>();
            for (int e = e0; e < e1; e++) examples.Add([Compact(s.Input(e), task), Compact(s.Label(e), task)]);
            return encoded[p] = (examples, examples.Sum(x => (long)x[0].Length + x[1].Length));
        }
        // Depth k = the k-th puzzle of every group (k = 0 is the original): take whole depths while the budget lasts;
        // at depth 0 take groups in order, so even a huge set shows its first groups.
        long budget = o.MaxCellsPerSplit;
        int depth = 0, groupsShown = 0;
        for (int g = 0; g < groupCount; g++)
        {
            long cost = Encode(s.GroupIndices[g]).Cells;
            if (cost > budget && groupsShown > 0) break;
            budget -= cost; groupsShown++;
        }
        if (groupsShown > 0) depth = 1;
        for (int k = 1; k < o.MaxPuzzlesPerGroup && groupsShown == groupCount; k++)
        {
            long cost = 0;
            for (int g = 0; g < groupsShown && cost <= budget; g++)
                if (s.GroupIndices[g] + k < s.GroupIndices[g + 1]) cost += Encode(s.GroupIndices[g] + k).Cells;
            if (cost == 0 || cost > budget) break;
            budget -= cost; depth = k + 1;
        }

        var groups = new List<object>();
        for (int g = 0; g < groupsShown; g++)
        {
            int p0 = s.GroupIndices[g], p1 = s.GroupIndices[g + 1];
            var puzzles = new List<object>();
            for (int p = p0; p < Math.Min(p1, p0 + depth); p++)
            {
                int id = s.PuzzleIdentifiers[p];
                string? name = id > 0 && id < names.Count ? names[id] : null;
                puzzles.Add(new Dictionary<string, object?>
                {
                    ["name"] = name, ["totalExamples"] = s.PuzzleIndices[p + 1] - s.PuzzleIndices[p], ["examples"] = Encode(p).Examples,
                });
            }
            groups.Add(new Dictionary<string, object> { ["index"] = g, ["totalPuzzles"] = p1 - p0, ["puzzles"] = puzzles });
        }
        return new Dictionary<string, object>
        {
            ["name"] = label,
            ["totalGroups"] = s.GroupCount,
            ["totalPuzzles"] = s.PuzzleCount,
            ["totalExamples"] = s.ExampleCount,
            ["groups"] = groups,
        };
    }

    /// <summary>"C:cells": C columns, then the cells row-major without separators (about one byte per cell).</summary>
    static string Compact(ReadOnlySpan<int> tokens, PuzzleTask task)
    {
        var (text, cols) = GridText.Of(task, tokens);
        return $"{cols}:{text.Replace("\n", "")}";
    }
}
