using System.Diagnostics;
using Hrm.Data;
using Hrm.Model;
using static TorchSharp.torch;

namespace Hrm.Evaluation;

/// <summary>Metrics of one test set (rows with at least one valid label), as the reference's evaluate().</summary>
public sealed record SetMetrics(int Count, double ExactAccuracy, double TokenAccuracy, double MeanSegments, double QHaltAccuracy, double Seconds)
{
    public double PuzzlesPerSecond => Seconds > 0 ? Count / Seconds : 0;
}

public sealed record EvalOptions
{
    public int BatchSize { get; init; } = 256;
    /// <summary>When each row stops (default: the full budget, as the reference evaluates).</summary>
    public HaltPolicy Halt { get; init; } = HaltPolicy.Full;
    /// <summary>Shorthand: true is <see cref="HaltPolicy.QValues"/> (the model's own ACT decision).</summary>
    public bool EarlyExit { get => Halt.Rule != HaltRule.Full; init => Halt = value ? HaltPolicy.QValues : HaltPolicy.Full; }
    /// <summary>Evaluate only the first N examples of each set (quick checks during training).</summary>
    public int? MaxExamples { get; init; }
    public Device? Device { get; init; }
}

/// <summary>One evaluated row: which example, its prediction, and how it was produced.</summary>
public sealed record EvaluatedExample(string Set, int Example, int PuzzleIdentifier, int[] Input, int[] Label, RowResult Result, bool Correct);

/// <summary>Evaluates a model on a dataset's test split, per set.</summary>
public static class Evaluator
{
    public static Dictionary<string, SetMetrics> Evaluate(ActModel model, string dataDir, EvalOptions options, Action<EvaluatedExample>? onExample = null)
    {
        var meta = PuzzleDatasetDirectory.ReadMetadata(dataDir, "test");
        var result = new Dictionary<string, SetMetrics>();
        foreach (var setName in meta.Sets)
        {
            var set = new SplitSet(setName, PuzzleDatasetDirectory.ReadSet(dataDir, "test", setName), meta);
            result[setName] = Evaluate(model, set, options, onExample);
        }
        return result;
    }

    public static SetMetrics Evaluate(ActModel model, SplitSet set, EvalOptions options, Action<EvaluatedExample>? onExample = null)
    {
        if (options.BatchSize <= 0) throw new HrmException($"batch size must be positive, got {options.BatchSize}");
        var device = options.Device ?? model.inner.H_init.device;
        var sw = Stopwatch.StartNew();
        int count = 0, exact = 0, qCorrect = 0, exampleIndex = 0;
        double tokenAcc = 0, segments = 0;
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
            var results = Inference.Run(model, inputs, ids, options.Halt);
            for (int r = 0; r < rows; r++, exampleIndex++)
            {
                var label = batch.Labels.AsSpan(r * s, s);
                int valid = 0, correct = 0;
                for (int j = 0; j < s; j++)
                    if (label[j] != SplitSet.IgnoreLabel) { valid++; if (results[r].Prediction[j] == label[j]) correct++; }
                bool isCorrect = correct == valid;
                if (valid > 0)
                {
                    count++;
                    tokenAcc += (double)correct / valid;
                    if (isCorrect) exact++;
                    segments += results[r].Segments;
                    if ((results[r].QHalt[^1] >= 0) == isCorrect) qCorrect++;
                }
                onExample?.Invoke(new EvaluatedExample(set.Name, exampleIndex, batch.PuzzleIds[r], batch.Inputs.AsSpan(r * s, s).ToArray(), label.ToArray(), results[r], isCorrect));
            }
        }
        int c = Math.Max(count, 1);
        return new SetMetrics(count, (double)exact / c, tokenAcc / c, segments / c, (double)qCorrect / c, sw.Elapsed.TotalSeconds);
    }
}
