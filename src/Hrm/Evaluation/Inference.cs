using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Evaluation;

/// <summary>The answer for one row: the predicted tokens, the segments it ran, and q_halt / q_continue per segment.</summary>
public sealed record RowResult(int[] Prediction, int Segments, float[] QHalt, float[] QContinue)
{
    /// <summary>When the row is a search's chosen candidate (<see cref="Evaluation.Search"/>): the whole search.</summary>
    public SearchResult? Search { get; init; }
}

/// <summary>When a row stops at inference.</summary>
public enum HaltRule
{
    /// <summary>Every row runs the full budget (halt_max_steps segments): the reference's evaluation.</summary>
    Full,
    /// <summary>The model's ACT decision: stop at the first segment where the architecture's halting rule holds
    /// (HRM: q_halt &gt; q_continue; TRM: q_halt &gt; 0).</summary>
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
    /// <summary>The model's own default for evaluation, solving and serving (its config's inference_halt).</summary>
    public static HaltPolicy For(ModelConfig config) => new(ParseRule(config.InferenceHalt));

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
        HaltRule.QValues => "early exit: the model's ACT decision",
        HaltRule.Confident => $"early exit: sigmoid(q_halt) >= {Threshold:0.###}",
        _ => "early exit: answer unchanged from the previous segment",
    };
}

/// <summary>
/// What the inference loop reports after each segment: the segment number (from 1), which rows of the original batch
/// were still running (<see cref="Rows"/>[i] is the original index of row i of the tensors), the core's output for
/// those rows, the carry after the segment, and which of them stop now. Tensors are valid only during the call.
/// </summary>
public sealed record SegmentReport(int Segment, long[] Rows, SegmentOutput Output, bool[] Stopping);

/// <summary>
/// Watches the inference loop. Every member is optional; an observer that asks for no steps costs the loop nothing
/// beyond one call per segment, and no observer costs nothing at all.
/// </summary>
public interface IInferenceObserver
{
    /// <summary>An observer for the updates inside segment <paramref name="segment"/> (for the given original rows), or
    /// null to not observe them.</summary>
    IStepObserver? StepsOf(int segment, long[] rows) => null;
    void OnSegment(SegmentReport report) { }
}

/// <summary>
/// Steers the trajectories of the inference loop (test-time search, <see cref="Search"/>): may perturb the starting
/// carry and the carry after each segment, and may stop more rows than the halting rule does (a puzzle whose choice is
/// made). Rows are identified by their original index in the batch. Every member is optional.
/// </summary>
public interface ITrajectoryControl
{
    /// <summary>The carry every row starts from (default: unchanged). Return new tensors; the argument stays owned by
    /// the loop.</summary>
    InnerCarry Start(InnerCarry carry, long[] rows) => carry;
    /// <summary>The carry after segment <paramref name="segment"/> for the rows that go on (default: unchanged).</summary>
    InnerCarry AfterSegment(int segment, InnerCarry carry, long[] rows) => carry;
    /// <summary>Called after the halting rule filled <see cref="SegmentReport.Stopping"/>; may set more entries.</summary>
    void Decide(SegmentReport report, bool[] stopping) { }
}

/// <summary>
/// The one inference loop: runs a model over segments without gradient and without touching the model's state (so
/// concurrent calls on one model are safe). With <see cref="HaltPolicy.Full"/> every row runs the budget
/// (halt_max_steps segments unless <c>maxSegments</c> says otherwise: beyond halt_max_steps the carried state simply
/// keeps going, with no ACT reset), as the reference evaluates. With an early-exit rule a row stops at the first
/// segment where the rule holds, and finished rows are dropped from the batch so later segments cost less.
/// </summary>
public static class Inference
{
    public static RowResult[] Run(ActModel model, Tensor inputs, Tensor puzzleIds, bool earlyExit, int? maxSegments = null) =>
        Run(model, inputs, puzzleIds, earlyExit ? HaltPolicy.QValues : HaltPolicy.Full, maxSegments);

    public static RowResult[] Run(ActModel model, Tensor inputs, Tensor puzzleIds, HaltPolicy? halt = null, int? maxSegments = null,
        IInferenceObserver? observer = null, ITrajectoryControl? control = null)
    {
        halt = (halt ?? HaltPolicy.Full).Validate();
        double logitThreshold = Math.Log(halt.Threshold / (1 - halt.Threshold));
        var core = model.inner;
        int segments = maxSegments ?? model.Config.HaltMaxSteps;
        if (segments < 1) throw new HrmException($"the segment budget must be >= 1, got {segments}");
        long b = inputs.shape[0];
        var results = new RowResult?[b];
        var qh = Enumerable.Range(0, (int)b).Select(_ => new List<float>()).ToArray();
        var qc = Enumerable.Range(0, (int)b).Select(_ => new List<float>()).ToArray();

        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var rows = Enumerable.Range(0, (int)b).Select(i => (long)i).ToArray();
        var carry = core.InitialCarry(b);
        if (control is not null)
        {
            var started = control.Start(carry, rows);
            if (!ReferenceEquals(started, carry)) { carry.ZH.Dispose(); carry.ZL.Dispose(); carry = started; }
        }
        var x = inputs;
        var ids = puzzleIds;
        Tensor? previous = null;                         // last segment's answers, for the stable rule
        for (int m = 1; m <= segments && rows.Length > 0; m++)
        {
            using var noCollection = Hrm.Runtime.NoCollection.During();   // see Runtime.NoCollection
            using var stepScope = NewDisposeScope();
            var seg = core.forward(carry, x, ids, observer?.StepsOf(m, rows));
            var qHalt = seg.QHalt.cpu().data<float>().ToArray();
            var qCont = seg.QContinue.cpu().data<float>().ToArray();
            // The answers are needed every segment only by the stable rule; otherwise only when some row stops.
            Tensor Answer() => seg.Logits.argmax(-1).to(int32);
            var answer = halt.Rule == HaltRule.Stable ? Answer() : null;
            bool[]? unchanged = answer is not null && previous is not null
                ? (answer == previous).all(-1).cpu().data<bool>().ToArray() : null;
            bool[]? wants = halt.Rule == HaltRule.QValues ? model.WantsToHalt(seg.QHalt, seg.QContinue).cpu().data<bool>().ToArray() : null;
            var stop = new bool[rows.Length];
            for (int i = 0; i < rows.Length; i++)
            {
                qh[rows[i]].Add(qHalt[i]);
                qc[rows[i]].Add(qCont[i]);
                stop[i] = m == segments || halt.Rule switch
                {
                    HaltRule.QValues => wants![i],
                    HaltRule.Confident => qHalt[i] >= logitThreshold,
                    HaltRule.Stable => unchanged is not null && unchanged[i],
                    _ => false,
                };
            }
            var report = new SegmentReport(m, rows, seg, stop);
            control?.Decide(report, stop);
            observer?.OnSegment(report);
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
            // The last segment's carry, inputs and answers live in the outer scope: release them now that this
            // segment has replaced them (keeping every segment's carry until the end made memory grow with the
            // segments: 8 GB over 66 segments of 200 30x30 mazes).
            var old = new List<Tensor?> { carry.ZH, carry.ZL, previous };
            InnerCarry next;
            if (stop.Any(h => h))
            {
                var keepIdx = Enumerable.Range(0, rows.Length).Where(i => !stop[i]).ToArray();
                var keep = tensor(keepIdx.Select(i => (long)i).ToArray(), device: inputs.device);
                next = new InnerCarry(seg.Carry.ZH.index_select(0, keep), seg.Carry.ZL.index_select(0, keep));
                if (!ReferenceEquals(x, inputs)) old.Add(x);
                if (!ReferenceEquals(ids, puzzleIds)) old.Add(ids);
                x = x.index_select(0, keep);
                ids = ids.index_select(0, keep);
                answer = answer?.index_select(0, keep);
                rows = keepIdx.Select(i => rows[i]).ToArray();
            }
            else next = seg.Carry;
            if (control is not null && m < segments) next = control.AfterSegment(m, next, rows);
            carry = next;
            foreach (var t in new[] { carry.ZH, carry.ZL, x, ids }) t.MoveToOuterDisposeScope();
            previous = answer?.MoveToOuterDisposeScope();
            foreach (var t in old) t?.Dispose();
        }
        return results.Select(r => r!).ToArray();
    }
}
