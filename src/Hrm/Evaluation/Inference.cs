using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Evaluation;

/// <summary>The answer for one row: the predicted tokens, the segments it ran, and q_halt / q_continue per segment.</summary>
public sealed record RowResult(int[] Prediction, int Segments, float[] QHalt, float[] QContinue);

/// <summary>When a row stops at inference.</summary>
public enum HaltRule
{
    /// <summary>Every row runs the full budget (halt_max_steps segments): the reference's evaluation.</summary>
    Full,
    /// <summary>The model's ACT decision: stop at the first segment with q_halt &gt; q_continue.</summary>
    QValues,
    /// <summary>Stop when the Q head is confident the current answer is correct: sigmoid(q_halt) &gt;= threshold
    /// (q_halt is trained to predict exactly that).</summary>
    Confident,
    /// <summary>Stop when the answer equals the previous segment's (a fixed point of the recurrence); no parameter.</summary>
    Stable,
}

/// <summary>A halting rule and, for <see cref="HaltRule.Confident"/>, its probability threshold in (0, 1).</summary>
public sealed record HaltPolicy(HaltRule Rule = HaltRule.Full, double Threshold = 0.9)
{
    public static readonly HaltPolicy Full = new();
    public static readonly HaltPolicy QValues = new(HaltRule.QValues);

    public HaltPolicy Validate()
    {
        if (Rule == HaltRule.Confident && !(Threshold > 0 && Threshold < 1))
            throw new HrmException($"halt threshold must be a probability strictly between 0 and 1, got {Threshold}");
        return this;
    }

    /// <summary>Parses full | q | confident | stable (as on the command line).</summary>
    public static HaltRule ParseRule(string text) => text.Trim().ToLowerInvariant() switch
    {
        "full" or "none" => HaltRule.Full,
        "q" or "qvalues" or "act" => HaltRule.QValues,
        "confident" => HaltRule.Confident,
        "stable" => HaltRule.Stable,
        _ => throw new HrmException($"unknown halt rule '{text}' (expected full, q, confident or stable)"),
    };

    public override string ToString() => Rule switch
    {
        HaltRule.Full => "full budget",
        HaltRule.QValues => "early exit: q_halt > q_continue",
        HaltRule.Confident => $"early exit: sigmoid(q_halt) >= {Threshold:0.###}",
        _ => "early exit: answer unchanged from the previous segment",
    };
}

/// <summary>
/// Runs the model in evaluation mode over segments. With <see cref="HaltPolicy.Full"/> every row runs halt_max_steps
/// segments, as the reference evaluates. With an early-exit rule a row stops at the first segment where the rule holds,
/// and finished rows are dropped from the batch so later segments cost less.
/// </summary>
public static class Inference
{
    public static RowResult[] Run(ActModel model, Tensor inputs, Tensor puzzleIds, bool earlyExit, int? maxSegments = null) =>
        Run(model, inputs, puzzleIds, earlyExit ? HaltPolicy.QValues : HaltPolicy.Full, maxSegments);

    public static RowResult[] Run(ActModel model, Tensor inputs, Tensor puzzleIds, HaltPolicy? halt = null, int? maxSegments = null)
    {
        halt = (halt ?? HaltPolicy.Full).Validate();
        double logitThreshold = Math.Log(halt.Threshold / (1 - halt.Threshold));
        var inner = model.inner;
        int segments = maxSegments ?? model.Config.HaltMaxSteps;
        long b = inputs.shape[0];
        var results = new RowResult?[b];
        var qh = Enumerable.Range(0, (int)b).Select(_ => new List<float>()).ToArray();
        var qc = Enumerable.Range(0, (int)b).Select(_ => new List<float>()).ToArray();
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var carry = inner.ResetCarry(ones(b, @bool, inputs.device), inner.EmptyCarry(b));
            var active = arange(b, int64, inputs.device);   // rows of the original batch still running
            var x = inputs;
            var ids = puzzleIds;
            Tensor? previous = null;                         // last segment's answers, for the stable rule
            for (int m = 1; m <= segments && active.shape[0] > 0; m++)
            {
                using var stepScope = NewDisposeScope();
                var seg = inner.forward(carry, x, ids);
                var qHalt = seg.QHalt.cpu().data<float>().ToArray();
                var qCont = seg.QContinue.cpu().data<float>().ToArray();
                var rows = active.cpu().data<long>().ToArray();
                // The answers are needed every segment only by the stable rule; otherwise only when some row stops.
                Tensor Answer() => seg.Logits.argmax(-1).to(int32);
                var answer = halt.Rule == HaltRule.Stable ? Answer() : null;
                bool[]? unchanged = answer is not null && previous is not null
                    ? (answer == previous).all(-1).cpu().data<bool>().ToArray() : null;
                var stop = new bool[rows.Length];
                for (int i = 0; i < rows.Length; i++)
                {
                    qh[rows[i]].Add(qHalt[i]);
                    qc[rows[i]].Add(qCont[i]);
                    stop[i] = m == segments || halt.Rule switch
                    {
                        HaltRule.QValues => qHalt[i] > qCont[i],
                        HaltRule.Confident => qHalt[i] >= logitThreshold,
                        HaltRule.Stable => unchanged is not null && unchanged[i],
                        _ => false,
                    };
                }
                if (stop.Any(h => h))
                {
                    answer ??= Answer();
                    var pred = answer.cpu();
                    long s = pred.shape[1];
                    var predData = pred.data<int>().ToArray();
                    for (int i = 0; i < rows.Length; i++)
                        if (stop[i])
                            results[rows[i]] = new RowResult(predData.AsSpan((int)(i * s), (int)s).ToArray(), m, qh[rows[i]].ToArray(), qc[rows[i]].ToArray());
                }
                if (stop.All(h => h)) break;
                if (stop.Any(h => h))
                {
                    var keep = tensor(Enumerable.Range(0, rows.Length).Where(i => !stop[i]).Select(i => (long)i).ToArray(), device: inputs.device);
                    carry = new InnerCarry(seg.Carry.ZH.index_select(0, keep), seg.Carry.ZL.index_select(0, keep));
                    x = x.index_select(0, keep);
                    ids = ids.index_select(0, keep);
                    active = active.index_select(0, keep);
                    answer = answer?.index_select(0, keep);
                }
                else carry = seg.Carry;
                foreach (var t in new[] { carry.ZH, carry.ZL, x, ids, active }) t.MoveToOuterDisposeScope();
                previous = answer?.MoveToOuterDisposeScope();
            }
        }
        finally { model.train(wasTraining); }
        return results.Select(r => r!).ToArray();
    }
}
