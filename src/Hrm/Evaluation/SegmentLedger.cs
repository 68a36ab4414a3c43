using Hrm.Data;
using Hrm.Model;
using Hrm.Tasks;
using static TorchSharp.torch;

namespace Hrm.Evaluation;

/// <summary>
/// Records, for every row and every segment of a full-budget inference run, whether the answer is exact (equals the
/// label), whether it is valid (the task's rule), and whether the model's ACT rule would halt there. From one run of
/// M segments this gives the fixed-budget accuracy for every budget 1..M and the ACT-halting accuracy and mean
/// segments for every budget, since a row's answer at segment m does not depend on the budget. A row that stops
/// early (a halting policy other than Full) keeps its last answer for the remaining segments. Evaluation's exact
/// accuracy by segment and the analyses' budget curves both read it.
/// </summary>
public sealed class SegmentLedger(ActModel model, PuzzleTask? task, int[] inputs, int[] labels, int seqLen, int rows, int segments) : IInferenceObserver
{
    public readonly bool[,] Exact = new bool[rows, segments];
    public readonly bool[,] Valid = new bool[rows, segments];
    public readonly bool[,] Halts = new bool[rows, segments];
    public readonly bool[] HasLabel = Enumerable.Range(0, rows).Select(r => labels.AsSpan(r * seqLen, seqLen).ToArray().Any(l => l != PuzzleSet.IgnoreLabel)).ToArray();

    public void OnSegment(SegmentReport r)
    {
        using var scope = NewDisposeScope();
        var pred = r.Output.Logits.argmax(-1).to(int32).cpu().data<int>().ToArray();
        var halts = model.WantsToHalt(r.Output.QHalt, r.Output.QContinue).cpu().data<bool>().ToArray();
        int m = r.Segment - 1;
        for (int i = 0; i < r.Rows.Length; i++)
        {
            int row = (int)r.Rows[i];
            var p = pred.AsSpan(i * seqLen, seqLen);
            bool ok = true;
            for (int j = 0; j < seqLen && ok; j++)
            {
                int l = labels[row * seqLen + j];
                if (l != PuzzleSet.IgnoreLabel && p[j] != l) ok = false;
            }
            bool valid = task is { HasRule: true } && task.Check(inputs.AsSpan(row * seqLen, seqLen), p) is null;
            for (int k = m; k < (r.Stopping[i] ? segments : m + 1); k++)
            {
                Exact[row, k] = ok;
                Valid[row, k] = valid;
                Halts[row, k] = halts[i];
            }
        }
    }

    /// <summary>The segment at which ACT would stop a row under a budget (1-based).</summary>
    public int ActSegments(int row, int budget)
    {
        for (int m = 0; m < budget; m++) if (Halts[row, m]) return m + 1;
        return budget;
    }
}

