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
}

/// <summary>Accuracy of the answers voted over <see cref="Views"/> test-time views.</summary>
public sealed record TtaMetrics(int Views, double ExactAccuracy, double? ValidAccuracy);

public sealed record EvalOptions
{
    public int BatchSize { get; init; } = 256;
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

    /// <summary>Per row of a batch: whether its answer equals the label after each segment.</summary>
    sealed class PerSegmentExact(int[] labels, int seqLen, int rows, int segments) : IInferenceObserver
    {
        public readonly bool[,] Correct = new bool[rows, segments];

        public void OnSegment(SegmentReport r)
        {
            using var scope = NewDisposeScope();
            var pred = r.Output.Logits.argmax(-1).to(int32).cpu().data<int>().ToArray();
            for (int i = 0; i < r.Rows.Length; i++)
            {
                int row = (int)r.Rows[i];
                bool ok = true;
                for (int j = 0; j < seqLen && ok; j++)
                {
                    int l = labels[row * seqLen + j];
                    if (l != PuzzleSet.IgnoreLabel && pred[i * seqLen + j] != l) ok = false;
                }
                // A stopping row keeps this answer for the remaining segments.
                for (int m = r.Segment - 1; m < (r.Stopping[i] ? segments : r.Segment); m++) Correct[row, m] = ok;
            }
        }
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

    /// <summary>The task that decides rule checks: the model's recorded task, else the dataset's, else the shape's (or none).</summary>
    public static PuzzleTask? TaskFor(ModelConfig c, string? datasetTask)
    {
        var name = c.Task ?? datasetTask;
        return name is not null ? PuzzleTask.FromName(name, c.SeqLen, c.VocabSize) : PuzzleTask.Infer(c.SeqLen, c.VocabSize);
    }

    public static SetMetrics Evaluate(ActModel model, PuzzleSet set, EvalOptions options, Action<EvaluatedExample>? onExample = null)
    {
        var device = options.Device ?? model.Device;
        var task = TaskFor(model.Config, set.Metadata.Task);
        bool checkRule = task is { HasRule: true };
        int budget = options.MaxSegments ?? model.Config.HaltMaxSteps;
        if (budget < 1) throw new HrmException($"the segment budget must be >= 1, got {budget}");
        int views = Math.Max(options.Tta, 1);
        if (views > 1 && task is null) throw new HrmException("test-time augmentation needs a known task (sudoku, maze or arc)");

        var sw = Stopwatch.StartNew();
        int count = 0, exact = 0, qCorrect = 0, valid = 0, exampleIndex = 0, ttaExact = 0, ttaValid = 0;
        double tokenAcc = 0, segments = 0;
        var bySegment = new int[budget];
        var histogram = new int[budget];
        int limit = options.MaxExamples ?? int.MaxValue;
        foreach (var batch in TestBatches.Enumerate(set, options.BatchSize))
        {
            if (exampleIndex >= limit) break;
            using var scope = NewDisposeScope();
            int rows = Math.Min(batch.EffectiveSize, limit - exampleIndex);
            int s = batch.SeqLen;
            // Padding rows carry no labels and would only cost time: run the real rows only.
            var inputs = tensor(batch.Inputs.AsSpan(0, rows * s).ToArray(), [rows, s], device: device).to(int64);
            var ids = tensor(batch.PuzzleIds.AsSpan(0, rows).ToArray(), [rows], device: device).to(int64);
            var perSegment = new PerSegmentExact(batch.Labels, s, rows, budget);
            var results = Inference.Run(model, inputs, ids, options.Halt, budget, perSegment);
            var voted = views > 1 ? Vote(model, task!, batch, rows, options, budget, device, results) : null;
            for (int r = 0; r < rows; r++, exampleIndex++)
            {
                var label = batch.Labels.AsSpan(r * s, s);
                var input = batch.Inputs.AsSpan(r * s, s);
                int validLabels = CountMatches(label, results[r].Prediction, out int correct);
                bool isCorrect = correct == validLabels;
                if (validLabels > 0)
                {
                    count++;
                    tokenAcc += (double)correct / validLabels;
                    if (isCorrect) exact++;
                    segments += results[r].Segments;
                    histogram[results[r].Segments - 1]++;
                    for (int m = 0; m < budget; m++) if (perSegment.Correct[r, m]) bySegment[m]++;
                    if ((results[r].QHalt[^1] >= 0) == isCorrect) qCorrect++;
                    if (checkRule && task!.Check(input, results[r].Prediction) is null) valid++;
                    if (voted is not null)
                    {
                        CountMatches(label, voted[r], out int c);
                        if (c == validLabels) ttaExact++;
                        if (checkRule && task!.Check(input, voted[r]) is null) ttaValid++;
                    }
                }
                onExample?.Invoke(new EvaluatedExample(set.Name, exampleIndex, batch.PuzzleIds[r], input.ToArray(), label.ToArray(), results[r], isCorrect));
            }
        }
        int n = Math.Max(count, 1);
        return new SetMetrics(count, (double)exact / n, tokenAcc / n, segments / n, (double)qCorrect / n, sw.Elapsed.TotalSeconds)
        {
            ExactBySegment = bySegment.Select(c => (double)c / n).ToArray(),
            SegmentHistogram = histogram,
            ValidAccuracy = checkRule ? (double)valid / n : null,
            Tta = views > 1 ? new TtaMetrics(views, (double)ttaExact / n, checkRule ? (double)ttaValid / n : null) : null,
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
