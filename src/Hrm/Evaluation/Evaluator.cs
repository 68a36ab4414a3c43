using System.Diagnostics;
using Hrm.Data;
using Hrm.Model;
using Hrm.Tasks;
using static TorchSharp.torch;

namespace Hrm.Evaluation;

/// <summary>Metrics of one test set (rows with at least one valid label), as the reference's evaluate().</summary>
public sealed record SetMetrics(int Count, double ExactAccuracy, double TokenAccuracy, double MeanSegments, double QHaltAccuracy, double Seconds)
{
    public double PuzzlesPerSecond => Seconds > 0 ? Count / Seconds : 0;
    /// <summary>Exact accuracy after each segment 1..M (a row that stopped keeps its answer); the last equals
    /// <see cref="ExactAccuracy"/>.</summary>
    public double[] ExactBySegment { get; init; } = [];
    /// <summary>Rows that used 1, 2, ... M segments (index 0 = 1 segment).</summary>
    public int[] SegmentHistogram { get; init; } = [];
    /// <summary>Answers that satisfy the task's rule (any valid answer counts, not only the label); null for tasks
    /// without a rule (ARC).</summary>
    public double? ValidAccuracy { get; init; }
    /// <summary>With test-time augmentation: the voted answers' metrics (null without).</summary>
    public TtaMetrics? Tta { get; init; }
    /// <summary>The task's difficulty measure (<see cref="PuzzleTask.DifficultyMeasure"/>) and accuracy per value of it,
    /// ascending; null when the task has none.</summary>
    public string? DifficultyMeasure { get; init; }
    public IReadOnlyList<DifficultyRow>? ByDifficulty { get; init; }
    /// <summary>With test-time search: every selection rule, the oracle and the compute (null without). The plain
    /// fields above then describe the chosen answers (<see cref="SearchOptions.Select"/>), except
    /// <see cref="ExactBySegment"/>, which follows the plain trajectory.</summary>
    public SearchMetrics? Search { get; init; }
}

/// <summary>
/// Test-time search over a set: exact (and valid) accuracy of each selection rule over the same candidates, the oracle
/// (<see cref="ExactAny"/>: some candidate was right, the headroom of any selection), the plain trajectory's exact
/// accuracy, and the compute: candidates per puzzle, segments per trajectory and per puzzle (all trajectories).
/// </summary>
public sealed record SearchMetrics(SearchOptions Options, IReadOnlyDictionary<SelectRule, double> ExactBySelect,
    IReadOnlyDictionary<SelectRule, double?> ValidBySelect, double ExactAny, double ExactPlain, double MeanCandidates,
    double MeanSegmentsPerCandidate, double MeanSegmentsPerPuzzle);

/// <summary>Accuracy of the rows with one value of the task's difficulty measure (e.g. maze path length).</summary>
public sealed record DifficultyRow(int Value, int Count, int Exact, int? Valid, double TokenAccuracySum)
{
    public double ExactAccuracy => Count > 0 ? (double)Exact / Count : 0;
    public double? ValidAccuracy => Valid is int v && Count > 0 ? (double)v / Count : null;
    public double TokenAccuracy => Count > 0 ? TokenAccuracySum / Count : 0;

    /// <summary>Consecutive values merged into at most <paramref name="buckets"/> ranges of equal width, for display.</summary>
    public static IReadOnlyList<(int From, int To, DifficultyRow Row)> Bucket(IReadOnlyList<DifficultyRow> rows, int buckets)
    {
        if (rows.Count == 0) return [];
        int lo = rows.Min(r => r.Value), hi = rows.Max(r => r.Value);
        int width = Math.Max(1, (hi - lo + buckets) / buckets);
        return rows.GroupBy(r => (r.Value - lo) / width).OrderBy(g => g.Key).Select(g =>
        {
            int from = lo + g.Key * width;
            var merged = new DifficultyRow(from, g.Sum(r => r.Count), g.Sum(r => r.Exact),
                g.All(r => r.Valid is not null) ? g.Sum(r => r.Valid!.Value) : null, g.Sum(r => r.TokenAccuracySum));
            return (from, Math.Min(from + width - 1, hi), merged);
        }).ToList();
    }
}

/// <summary>Accuracy of the answers voted over <see cref="Views"/> test-time views.</summary>
public sealed record TtaMetrics(int Views, double ExactAccuracy, double? ValidAccuracy);

public sealed record EvalOptions
{
    /// <summary>Rows in one forward pass; null: <see cref="DefaultBatchSize"/> of the set's grid.</summary>
    public int? Batch { get; init; }
    /// <summary>Rows in one forward pass (the default follows the grid: <see cref="DefaultBatchSize"/>).</summary>
    public int BatchSize { get => Batch ?? 256; init => Batch = value; }

    /// <summary>
    /// The default rows per forward pass for sequences of <paramref name="seqLen"/> tokens: 256, fewer for long
    /// sequences so that one pass holds at most about 256 x 128 tokens (a 30 x 30 maze: 36 rows), which bounds the
    /// memory of evaluation whatever the set's size (a row's activations grow with its tokens).
    /// </summary>
    public static int DefaultBatchSize(int seqLen) => Math.Clamp(256 * 128 / Math.Max(seqLen, 1), 1, 256);

    /// <summary>The batch size for a set of <paramref name="seqLen"/>-token rows.</summary>
    public int BatchFor(int seqLen) => Batch ?? DefaultBatchSize(seqLen);

    /// <summary>Called after every batch with the set's name, the puzzles done and the puzzles to do (progress on long sets).</summary>
    public Action<string, int, int>? Progress { get; init; }
    /// <summary>When each row stops (default: the full budget, as the reference evaluates).</summary>
    public HaltPolicy Halt { get; init; } = HaltPolicy.Full;
    /// <summary>Shorthand: true is <see cref="HaltPolicy.QValues"/> (the model's own ACT decision).</summary>
    public bool EarlyExit { get => Halt.Rule != HaltRule.Full; init => Halt = value ? HaltPolicy.QValues : HaltPolicy.Full; }
    /// <summary>Segments at most (default halt_max_steps); more than halt_max_steps keeps the carried state going.</summary>
    public int? MaxSegments { get; init; }
    /// <summary>Test-time augmentation: vote over this many views of each puzzle (0 or 1: off).</summary>
    public int Tta { get; init; }
    /// <summary>Seed of the test-time views.</summary>
    public int TtaSeed { get; init; }
    /// <summary>Evaluate only the first N examples of each set (quick checks during training).</summary>
    public int? MaxExamples { get; init; }
    public Device? Device { get; init; }
    /// <summary>Test-time search (several trajectories per puzzle, one chosen); null: the plain run. Its views are
    /// <see cref="Tta"/>'s.</summary>
    public SearchOptions? Search { get; init; }
}

/// <summary>One evaluated row: which example, its prediction, and how it was produced.</summary>
public sealed record EvaluatedExample(string Set, int Example, int PuzzleIdentifier, int[] Input, int[] Label, RowResult Result, bool Correct);

/// <summary>Evaluates a model on a dataset's test split, per set.</summary>
public static class Evaluator
{
    /// <summary>Every set of a dataset directory's test split.</summary>
    public static Dictionary<string, SetMetrics> Evaluate(ActModel model, string dataDir, EvalOptions options, Action<EvaluatedExample>? onExample = null) =>
        Evaluate(model, PuzzleSet.ReadAll(dataDir, "test"), options, onExample);

    /// <summary>Sets already in memory (training evaluates the same test sets many times and reads them once).</summary>
    public static Dictionary<string, SetMetrics> Evaluate(ActModel model, IEnumerable<PuzzleSet> sets, EvalOptions options, Action<EvaluatedExample>? onExample = null)
    {
        var result = new Dictionary<string, SetMetrics>();
        foreach (var set in sets) result[set.Name] = Evaluate(model, set, options, onExample);
        return result;
    }

    /// <summary>
    /// Throws a clear error when a set cannot be run by a model of config <paramref name="c"/>: another shape or task,
    /// more puzzle identifiers, or tokens, labels or identifiers outside the model's ranges (which would index past
    /// its embeddings). <paramref name="dataDir"/> names the dataset in the message.
    /// </summary>
    public static void CheckFits(ModelConfig c, PuzzleSet set, string dataDir)
    {
        var meta = set.Metadata;
        if (meta.SeqLen != c.SeqLen || meta.VocabSize != c.VocabSize)
            throw new HrmException($"{dataDir}: dataset has seq_len {meta.SeqLen}, vocab {meta.VocabSize} but the model expects seq_len {c.SeqLen}, vocab {c.VocabSize} (a dataset of another task?)");
        if (meta.NumPuzzleIdentifiers > c.NumPuzzleIdentifiers)
            throw new HrmException($"{dataDir}: dataset has {meta.NumPuzzleIdentifiers} puzzle identifiers, the model {c.NumPuzzleIdentifiers}");
        if (meta.Task is string t && c.Task is string mt && t != mt)
            throw new HrmException($"{dataDir}: a {t} dataset, but the model was trained on {mt}");
        // Tokens outside the model's vocabulary would index past its embedding: say so instead.
        int bad = Array.FindIndex(set.Data.Inputs, x => x < 0 || x >= c.VocabSize);
        if (bad >= 0) throw new HrmException($"{set.FileOf("inputs")}: token {set.Data.Inputs[bad]} at row {bad / c.SeqLen} is outside the vocabulary [0, {c.VocabSize})");
        bad = Array.FindIndex(set.Data.Labels, x => (x < 0 || x >= c.VocabSize) && x != meta.IgnoreLabelId);
        if (bad >= 0) throw new HrmException($"{set.FileOf("labels")}: label {set.Data.Labels[bad]} at row {bad / c.SeqLen} is outside the vocabulary [0, {c.VocabSize})");
        bad = Array.FindIndex(set.Data.PuzzleIdentifiers, x => x < 0 || x >= c.NumPuzzleIdentifiers);
        if (bad >= 0) throw new HrmException($"{set.FileOf("puzzle_identifiers")}: identifier {set.Data.PuzzleIdentifiers[bad]} is outside [0, {c.NumPuzzleIdentifiers})");
    }

    /// <summary>
    /// The model to run <paramref name="set"/> with, after <see cref="CheckFits"/>: the loaded model itself, or, for a
    /// set of another grid size with the model's vocabulary and task, the same weights built for the set's seq_len
    /// (<see cref="SizedModels.For"/>: a model with a size-bound weight is refused with its name; the segment budget
    /// follows the config's halt_max_steps_per_side). The model returned is owned by <paramref name="models"/>.
    /// </summary>
    public static ActModel Fit(SizedModels models, PuzzleSet set, string dataDir)
    {
        var meta = set.Metadata;
        var c = models.Model.Config;
        var fitted = models.Model;
        if (meta.SeqLen != c.SeqLen && meta.VocabSize == c.VocabSize && (meta.Task is null || c.Task is null || meta.Task == c.Task))
        {
            try { fitted = models.For(meta.SeqLen); }
            catch (HrmException e) { throw e.At(dataDir); }
        }
        CheckFits(fitted.Config, set, dataDir);
        return fitted;
    }

    public static SetMetrics Evaluate(ActModel model, PuzzleSet set, EvalOptions options, Action<EvaluatedExample>? onExample = null)
    {
        var device = options.Device ?? model.Device;
        var task = Solver.TaskOf(model.Config, set.Metadata.Task);
        bool checkRule = task is { HasRule: true };
        int budget = options.MaxSegments ?? model.Config.HaltMaxSteps;
        if (budget < 1) throw new HrmException($"the segment budget must be >= 1, got {budget}");
        int views = Math.Max(options.Tta, 1);
        if (views > 1 && task is null) throw new HrmException($"test-time augmentation needs a known task ({TaskRegistry.NamesText()})");

        if (options.Search is not null) return EvaluateSearch(model, set, options, task, budget, views, onExample);
        int total = Math.Min(set.Data.ExampleCount, options.MaxExamples ?? int.MaxValue);
        var sw = Stopwatch.StartNew();
        var tally = new SetTally(task, budget, views);
        int exampleIndex = 0;
        int limit = options.MaxExamples ?? int.MaxValue;
        foreach (var batch in TestBatches.Enumerate(set, options.BatchFor(set.Metadata.SeqLen)))
        {
            if (exampleIndex >= limit) break;
            if (exampleIndex > 0) options.Progress?.Invoke(set.Name, exampleIndex, total);
            using var scope = NewDisposeScope();
            int rows = Math.Min(batch.EffectiveSize, limit - exampleIndex);
            int s = batch.SeqLen;
            // Padding rows carry no labels and would only cost time: run the real rows only.
            var inputs = tensor(batch.Inputs.AsSpan(0, rows * s).ToArray(), [rows, s], device: device).to(int64);
            var ids = tensor(batch.PuzzleIds.AsSpan(0, rows).ToArray(), [rows], device: device).to(int64);
            var perSegment = new SegmentLedger(model, null, batch.Inputs, batch.Labels, s, rows, budget);
            var results = Inference.Run(model, inputs, ids, options.Halt, budget, perSegment);
            var voted = views > 1 ? Vote(model, task!, batch, rows, options, budget, device, results) : null;
            for (int r = 0; r < rows; r++, exampleIndex++)
            {
                var label = batch.Labels.AsSpan(r * s, s);
                var input = batch.Inputs.AsSpan(r * s, s);
                int validLabels = CountMatches(label, results[r].Prediction, out int correct);
                if (validLabels > 0)
                {
                    int row = r;
                    tally.Add(input, correct, validLabels, results[r].Segments, results[r].QHalt[^1],
                        checkRule && task!.Check(input, results[r].Prediction) is null, m => perSegment.Exact[row, m]);
                    if (voted is not null)
                    {
                        CountMatches(label, voted[r], out int c);
                        tally.AddVote(c == validLabels, checkRule && task!.Check(input, voted[r]) is null);
                    }
                }
                onExample?.Invoke(new EvaluatedExample(set.Name, exampleIndex, batch.PuzzleIds[r], input.ToArray(), label.ToArray(), results[r], correct == validLabels));
            }
        }
        return tally.ToMetrics(sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// <see cref="Evaluate(ActModel, PuzzleSet, EvalOptions, Action{EvaluatedExample}?)"/> with test-time search: every
    /// puzzle runs <see cref="SearchOptions.Samples"/> trajectories per view as rows of one batch (puzzles per batch =
    /// batch size / candidates), and the chosen answer is scored; every rule is scored over the same candidates.
    /// </summary>
    static SetMetrics EvaluateSearch(ActModel model, PuzzleSet set, EvalOptions options, PuzzleTask? task, int budget, int views,
        Action<EvaluatedExample>? onExample)
    {
        var search = options.Search! with { Views = views };
        bool checkRule = task is { HasRule: true };
        int perBatch = Math.Max(1, options.BatchFor(set.Metadata.SeqLen) / search.CandidatesPerPuzzle);
        int total = Math.Min(set.Data.ExampleCount, options.MaxExamples ?? int.MaxValue);
        var rules = Enum.GetValues<SelectRule>();
        var sw = Stopwatch.StartNew();
        var tally = new SetTally(task, budget, views);
        int exampleIndex = 0, exactAny = 0, exactPlain = 0;
        double candidatesRun = 0, segmentsRun = 0;
        var exactBy = rules.ToDictionary(r => r, _ => 0);
        var validBy = rules.ToDictionary(r => r, _ => 0);
        int limit = options.MaxExamples ?? int.MaxValue;
        foreach (var batch in TestBatches.Enumerate(set, perBatch))
        {
            if (exampleIndex >= limit) break;
            if (exampleIndex > 0) options.Progress?.Invoke(set.Name, exampleIndex, total);
            int rows = Math.Min(batch.EffectiveSize, limit - exampleIndex);
            int s = batch.SeqLen;
            var inputs = Enumerable.Range(0, rows).Select(r => batch.Inputs.AsSpan(r * s, s).ToArray()).ToArray();
            var ids = Enumerable.Range(0, rows).Select(r => (long)batch.PuzzleIds[r]).ToArray();
            var ledger = new SegmentLedger(model, null, batch.Inputs, batch.Labels, s, rows, budget);
            var seeds = Enumerable.Range(0, rows).Select(r => unchecked(options.TtaSeed * 1_000_003 + r)).ToArray();
            var found = Search.Run(model, task, inputs, ids, search, options.Halt, budget, viewSeeds: seeds, plainObserver: ledger);
            for (int r = 0; r < rows; r++, exampleIndex++)
            {
                var label = batch.Labels.AsSpan(r * s, s).ToArray();
                var input = inputs[r];
                var result = found[r];
                var best = result.Best;
                int validLabels = CountMatches(label, best.Answer, out int correct);
                if (validLabels > 0)
                {
                    int row = r;
                    tally.Add(input, correct, validLabels, best.Segments, best.QHalt, best.Valid == true, m => ledger.Exact[row, m]);
                    candidatesRun += result.Candidates.Count;
                    segmentsRun += result.TotalSegments;
                    bool Right(Candidate c) { CountMatches(label, c.Answer, out int k); return k == validLabels; }
                    foreach (var rule in rules)
                    {
                        var pick = result.Candidates[result.IndexOf(rule)];
                        if (Right(pick)) exactBy[rule]++;
                        if (pick.Valid == true) validBy[rule]++;
                    }
                    if (result.Candidates.Any(c => !c.Cut && Right(c))) exactAny++;
                    if (result.Candidates.FirstOrDefault(c => c is { View: 0, Sample: 0 }) is { } plain && Right(plain)) exactPlain++;
                    if (views > 1)
                    {
                        // The plain views' vote (sample 0 of each view), as --tta alone reports it.
                        var firsts = result.Candidates.Where(c => c.Sample == 0).ToList();
                        Func<int[], int[], bool>? ok = checkRule ? (i, a) => task!.Check(i, a) is null : null;
                        var voted = TtaVoting.RankAnswers(input, firsts.Select(c => c.Answer).ToList(), firsts.Select(c => (double)c.QHalt).ToList(), ok)[0];
                        CountMatches(label, voted.Answer, out int vc);
                        tally.AddVote(vc == validLabels, voted.Valid == true);
                    }
                }
                onExample?.Invoke(new EvaluatedExample(set.Name, exampleIndex, batch.PuzzleIds[r], input, label, best.Row with { Prediction = best.Answer }, correct == validLabels));
            }
        }
        int n = Math.Max(tally.Count, 1);
        // The chosen answers' exact and valid accuracy by the select rule's own pick.
        return tally.ToMetrics(sw.Elapsed.TotalSeconds) with
        {
            ExactAccuracy = (double)exactBy[search.Select] / n,
            ValidAccuracy = checkRule ? (double)validBy[search.Select] / n : null,
            Search = new SearchMetrics(search, exactBy.ToDictionary(kv => kv.Key, kv => (double)kv.Value / n),
                validBy.ToDictionary(kv => kv.Key, kv => checkRule ? (double?)kv.Value / n : null),
                (double)exactAny / n, (double)exactPlain / n, candidatesRun / n, candidatesRun > 0 ? segmentsRun / candidatesRun : 0, segmentsRun / n),
        };
    }

    static int CountMatches(ReadOnlySpan<int> label, ReadOnlySpan<int> prediction, out int correct)
    {
        int validLabels = 0;
        correct = 0;
        for (int j = 0; j < label.Length; j++)
            if (label[j] != PuzzleSet.IgnoreLabel) { validLabels++; if (prediction[j] == label[j]) correct++; }
        return validLabels;
    }

    /// <summary>
    /// Test-time augmentation: the extra views of every row in one batch (view 0 is the plain run already done), each
    /// prediction mapped back, then the vote (valid answers first, then votes, then mean sigmoid(q_halt)).
    /// </summary>
    static int[][] Vote(ActModel model, PuzzleTask task, HostBatch batch, int rows, EvalOptions options, int budget, Device device, RowResult[] plain)
    {
        int s = batch.SeqLen, k = options.Tta;
        var viewsOf = new IReadOnlyList<ITokenView>[rows];
        var flat = new List<long>();
        var ids = new List<long>();
        for (int r = 0; r < rows; r++)
        {
            var input = batch.Inputs.AsSpan(r * s, s).ToArray();
            viewsOf[r] = task.Views(input, k, unchecked(options.TtaSeed * 1_000_003 + r));
            for (int v = 1; v < viewsOf[r].Count; v++)
            {
                flat.AddRange(viewsOf[r][v].Apply(input).Select(t => (long)t));
                ids.Add(batch.PuzzleIds[r]);
            }
        }
        var extra = flat.Count == 0 ? [] : Inference.Run(model, tensor(flat.ToArray(), [ids.Count, s], device: device),
            tensor(ids.ToArray(), [ids.Count], device: device), options.Halt, budget);
        var voted = new int[rows][];
        int next = 0;
        for (int r = 0; r < rows; r++)
        {
            var input = batch.Inputs.AsSpan(r * s, s).ToArray();
            var preds = new List<int[]> { plain[r].Prediction };
            var q = new List<double> { plain[r].QHalt[^1] };
            for (int v = 1; v < viewsOf[r].Count; v++, next++) { preds.Add(extra[next].Prediction); q.Add(extra[next].QHalt[^1]); }
            Func<int[], int[], bool>? isValid = task.HasRule ? (i, a) => task.Check(i, a) is null : null;
            voted[r] = TtaVoting.Vote(input, viewsOf[r], preds, q, isValid).Answer;
        }
        return voted;
    }
}

/// <summary>
/// The counts behind one set's <see cref="SetMetrics"/>, one scored row at a time: exact and token accuracy, segments
/// used (mean and histogram), exact answers after each segment, whether q_halt's sign agreed with correctness, valid
/// answers, the voted answers and the breakdown by the task's difficulty. Plain evaluation and search both fill one.
/// </summary>
sealed class SetTally(PuzzleTask? task, int budget, int views)
{
    readonly bool checkRule = task is { HasRule: true };
    int count, exact, qCorrect, valid, votedExact, votedValid;
    double tokenAccuracy, segments;
    readonly int[] exactBySegment = new int[budget], histogram = new int[budget];
    readonly SortedDictionary<int, (int Count, int Exact, int Valid, double Token)> byDifficulty = new();

    /// <summary>Rows scored (rows with at least one labelled cell).</summary>
    public int Count => count;

    /// <summary>One row's answer: <paramref name="correct"/> of its <paramref name="labelled"/> cells (&gt; 0) right,
    /// after <paramref name="segmentsUsed"/> segments with <paramref name="qHalt"/> last; <paramref name="exactAfter"/>
    /// tells whether its plain trajectory was exact after segment m (from 0).</summary>
    public void Add(ReadOnlySpan<int> input, int correct, int labelled, int segmentsUsed, double qHalt, bool isValid, Func<int, bool> exactAfter)
    {
        bool isCorrect = correct == labelled;
        count++;
        tokenAccuracy += (double)correct / labelled;
        if (isCorrect) exact++;
        segments += segmentsUsed;
        histogram[segmentsUsed - 1]++;
        for (int m = 0; m < exactBySegment.Length; m++) if (exactAfter(m)) exactBySegment[m]++;
        if ((qHalt >= 0) == isCorrect) qCorrect++;
        if (isValid) valid++;
        if (task?.Difficulty(input) is int d)
        {
            var (dc, de, dv, dt) = byDifficulty.GetValueOrDefault(d);
            byDifficulty[d] = (dc + 1, de + (isCorrect ? 1 : 0), dv + (isValid ? 1 : 0), dt + (double)correct / labelled);
        }
    }

    /// <summary>The same row's answer voted over test-time views.</summary>
    public void AddVote(bool isExact, bool isValid)
    {
        if (isExact) votedExact++;
        if (isValid) votedValid++;
    }

    public SetMetrics ToMetrics(double seconds)
    {
        int n = Math.Max(count, 1);
        return new SetMetrics(count, (double)exact / n, tokenAccuracy / n, segments / n, (double)qCorrect / n, seconds)
        {
            ExactBySegment = exactBySegment.Select(c => (double)c / n).ToArray(),
            SegmentHistogram = histogram,
            ValidAccuracy = checkRule ? (double)valid / n : null,
            Tta = views > 1 ? new TtaMetrics(views, (double)votedExact / n, checkRule ? (double)votedValid / n : null) : null,
            DifficultyMeasure = task?.DifficultyMeasure,
            ByDifficulty = task?.DifficultyMeasure is null ? null
                : byDifficulty.Select(kv => new DifficultyRow(kv.Key, kv.Value.Count, kv.Value.Exact, checkRule ? kv.Value.Valid : null, kv.Value.Token)).ToList(),
        };
    }
}
