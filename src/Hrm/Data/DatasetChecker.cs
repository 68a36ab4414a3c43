namespace Hrm.Data;

/// <summary>One thing wrong with a dataset: the file (relative to the dataset directory), the row if any, what is wrong.</summary>
public sealed record DatasetProblem(string File, long? Row, string Message)
{
    public override string ToString() => Row is long r ? $"{File} row {r}: {Message}" : $"{File}: {Message}";
}

/// <summary>A task's own validity rule (e.g. every Sudoku label is a solution), plugged into <see cref="DatasetChecker"/>.</summary>
public interface IDatasetCheck
{
    string Name { get; }
    /// <summary>Whether the data looks like this task's (decided from the metadata, e.g. vocab and seq_len).</summary>
    bool AppliesTo(DatasetMetadata metadata);
    IEnumerable<DatasetProblem> Check(PuzzleSet set, int maxRowsPerRule);
    /// <summary>Facts worth printing that are not problems (e.g. how many mazes have tied shortest paths).</summary>
    IEnumerable<string> Notes(PuzzleSet set) => [];
}

public sealed record DatasetSplitSummary(string Split, DatasetMetadata Metadata, int Examples, int Puzzles, int Groups);

public sealed record DatasetCheckReport(IReadOnlyList<DatasetProblem> Problems, IReadOnlyList<DatasetSplitSummary> Splits, IReadOnlyList<string> TaskChecks,
    IReadOnlyList<string>? Notes = null)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Validates a dataset directory against the reference's format: files present, shapes against the metadata, token
/// ranges, index arrays monotone from 0 to the counts, identifiers in range, at least one non-ignored label per row,
/// metadata consistent with the arrays; then each applicable task check. Collects every problem rather than stopping at
/// the first; a rule that fails on many rows reports the first <c>maxRowsPerRule</c> and a count of the rest.
/// </summary>
public sealed class DatasetChecker
{
    readonly IReadOnlyList<IDatasetCheck> taskChecks;
    readonly int maxRowsPerRule;

    public DatasetChecker(IEnumerable<IDatasetCheck> taskChecks, int maxRowsPerRule = 10)
    {
        this.taskChecks = taskChecks.ToArray();
        this.maxRowsPerRule = maxRowsPerRule;
    }

    public DatasetCheckReport Check(string dir)
    {
        if (!Directory.Exists(dir)) throw new HrmException("no such directory") { File = dir };
        var problems = new List<DatasetProblem>();
        var summaries = new List<DatasetSplitSummary>();
        var applied = new SortedSet<string>();
        var notes = new List<string>();
        int? identifierCount = null;
        try { identifierCount = PuzzleDatasetDirectory.ReadIdentifiers(dir).Count; }
        catch (HrmException e) { problems.Add(new("identifiers.json", null, e.MessageWithout(Path.Combine(dir, "identifiers.json")))); }

        var metas = new Dictionary<string, DatasetMetadata>();
        foreach (var split in PuzzleDatasetDirectory.Splits)
        {
            DatasetMetadata meta;
            try { meta = PuzzleDatasetDirectory.ReadMetadata(dir, split); }
            catch (HrmException e) { problems.Add(new($"{split}/dataset.json", null, e.MessageWithout(Path.Combine(dir, split, "dataset.json")))); continue; }
            metas[split] = meta;
            if (identifierCount is int count && meta.NumPuzzleIdentifiers != count)
                problems.Add(new($"{split}/dataset.json", null, $"num_puzzle_identifiers {meta.NumPuzzleIdentifiers} but identifiers.json lists {count}"));
            int examples = 0, puzzles = 0, groups = 0;
            bool countsKnown = true;
            foreach (var set in meta.Sets)
            {
                var data = CheckSetStructure(dir, split, set, meta, problems);
                if (data is null) { countsKnown = false; continue; }
                examples += data.ExampleCount; puzzles += data.PuzzleCount; groups += data.GroupCount;
                var ds = new PuzzleSet(set, data, meta) { Split = split };
                foreach (var check in taskChecks.Where(c => c.AppliesTo(meta)))
                {
                    applied.Add(check.Name);
                    problems.AddRange(check.Check(ds, maxRowsPerRule));
                    notes.AddRange(check.Notes(ds));
                }
            }
            if (!countsKnown) continue;
            if (meta.TotalGroups != groups) problems.Add(new($"{split}/dataset.json", null, $"total_groups {meta.TotalGroups} but the arrays hold {groups} groups"));
            double mean = puzzles == 0 ? 0 : (double)examples / puzzles;
            if (puzzles > 0 && Math.Abs(meta.MeanPuzzleExamples - mean) > 1e-3 * mean)
                problems.Add(new($"{split}/dataset.json", null, $"mean_puzzle_examples {meta.MeanPuzzleExamples} but the arrays hold {examples} examples in {puzzles} puzzles ({mean:G6})"));
            if (meta.TotalPuzzles is null)
                notes.Add($"{split}/dataset.json has no total_puzzles: HRM's loader does not need it, TinyRecursiveModels' requires it (a dataset built by this version's `hrm data` holds it; or add \"total_puzzles\": {puzzles})");
            summaries.Add(new(split, meta, examples, puzzles, groups));
        }
        if (metas.TryGetValue("train", out var train) && metas.TryGetValue("test", out var test)
            && (train.VocabSize, train.SeqLen, train.NumPuzzleIdentifiers) != (test.VocabSize, test.SeqLen, test.NumPuzzleIdentifiers))
            problems.Add(new("test/dataset.json", null, "vocab_size, seq_len and num_puzzle_identifiers must equal the train split's (the model is built from train)"));
        return new DatasetCheckReport(problems, summaries, applied.ToArray(), notes);
    }

    /// <summary>Shapes, ranges and index arrays of one set; the set in memory if it is sound enough for task checks.</summary>
    PuzzleSplit? CheckSetStructure(string dir, string split, string set, DatasetMetadata meta, List<DatasetProblem> problems)
    {
        string Rel(string a) => $"{split}/{PuzzleDatasetDirectory.ArrayFile(set, a)}";
        var arrays = new Dictionary<string, (long[] Shape, int[] Values)>();
        foreach (var a in PuzzleDatasetDirectory.ArrayNames)
        {
            var path = Path.Combine(dir, split, PuzzleDatasetDirectory.ArrayFile(set, a));
            try
            {
                var array = Npy.Read(path);
                arrays[a] = (array.Shape, array.ToInt32());
            }
            catch (HrmException e) { problems.Add(new(Rel(a), null, e.MessageWithout(path))); }
        }
        int before = problems.Count;
        foreach (var a in new[] { "inputs", "labels" })
            if (arrays.TryGetValue(a, out var t) && (t.Shape.Length != 2 || t.Shape[1] != meta.SeqLen))
                problems.Add(new(Rel(a), null, $"shape ({string.Join(", ", t.Shape)}) is not (N, seq_len {meta.SeqLen})"));
        foreach (var a in new[] { "puzzle_identifiers", "puzzle_indices", "group_indices" })
            if (arrays.TryGetValue(a, out var t) && t.Shape.Length != 1)
                problems.Add(new(Rel(a), null, $"expected a 1-D array, shape is ({string.Join(", ", t.Shape)})"));
        if (arrays.Count < PuzzleDatasetDirectory.ArrayNames.Length || problems.Count > before) return null;

        var (inputs, labels) = (arrays["inputs"].Values, arrays["labels"].Values);
        var (ids, puzzleIdx, groupIdx) = (arrays["puzzle_identifiers"].Values, arrays["puzzle_indices"].Values, arrays["group_indices"].Values);
        int seq = meta.SeqLen, examples = inputs.Length / seq;
        if (labels.Length != inputs.Length) problems.Add(new(Rel("labels"), null, $"{labels.Length / seq} rows but inputs have {examples}"));
        CheckTokens(Rel("inputs"), inputs, seq, meta.VocabSize, problems);
        CheckTokens(Rel("labels"), labels, seq, meta.VocabSize, problems);
        if (meta.IgnoreLabelId is int ignore && labels.Length == inputs.Length)
            Rows(Rel("labels"), examples, r => labels.AsSpan(r * seq, seq).IndexOfAnyExcept(ignore) < 0 ? $"every label is the ignore id {ignore}" : null, problems);
        Rows(Rel("puzzle_identifiers"), ids.Length, p => ids[p] < 0 || ids[p] >= meta.NumPuzzleIdentifiers
            ? $"identifier {ids[p]} outside 0..{meta.NumPuzzleIdentifiers - 1}" : null, problems);
        if (puzzleIdx.Length != ids.Length + 1)
            problems.Add(new(Rel("puzzle_indices"), null, $"{puzzleIdx.Length} entries, expected puzzle count + 1 = {ids.Length + 1}"));
        CheckIndices(Rel("puzzle_indices"), puzzleIdx, examples, "example count", "puzzle", problems);
        CheckIndices(Rel("group_indices"), groupIdx, ids.Length, "puzzle count", "group", problems);
        if (problems.Count > before) return null;
        return new PuzzleSplit(seq, inputs, labels, ids, puzzleIdx, groupIdx);
    }

    void CheckTokens(string file, int[] tokens, int seq, int vocab, List<DatasetProblem> problems) =>
        Rows(file, tokens.Length / seq, r =>
            PuzzleDatasetDirectory.FirstTokenOutside(tokens.AsSpan(r * seq, seq), seq, vocab) is string p ? p[(p.IndexOf(": ") + 2)..] : null, problems);

    // Index arrays: start at 0, each entry > the previous (no empty puzzle or group: the sampler picks from each), end at the count.
    void CheckIndices(string file, int[] idx, int total, string totalName, string what, List<DatasetProblem> problems)
    {
        if (idx.Length == 0 || idx[0] != 0) { problems.Add(new(file, null, "must start at 0")); return; }
        Rows(file, idx.Length - 1, i => idx[i + 1] <= idx[i] ? $"entry {i + 1} ({idx[i + 1]}) is not above entry {i} ({idx[i]}): {what} {i} is empty or reversed" : null, problems);
        if (idx[^1] != total) problems.Add(new(file, null, $"ends at {idx[^1]}, expected the {totalName} {total}"));
    }

    void Rows(string file, int count, Func<int, string?> rule, List<DatasetProblem> problems) =>
        problems.AddRange(FailingRows(file, count, rule, maxRowsPerRule));

    /// <summary>Applies a per-row rule (null = row is fine), reporting the first <paramref name="maxRows"/> failures and a count of the rest.</summary>
    public static IEnumerable<DatasetProblem> FailingRows(string file, int count, Func<int, string?> rule, int maxRows)
    {
        int failures = 0;
        for (int r = 0; r < count; r++)
        {
            if (rule(r) is not string message) continue;
            if (++failures <= maxRows) yield return new(file, r, message);
        }
        if (failures > maxRows) yield return new(file, null, $"{failures - maxRows} more rows fail the same rule");
    }
}
