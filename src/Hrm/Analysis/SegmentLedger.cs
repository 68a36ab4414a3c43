using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Model;
using Hrm.Tasks;
using static TorchSharp.torch;

namespace Hrm.Analysis;

/// <summary>Per budget 1..M: fixed-budget exact/valid accuracy, and ACT halting's exact accuracy and mean segments.</summary>
public sealed record BudgetPoint(int Budget, double FixedExact, double? FixedValid, double ActExact, double ActMeanSegments);

/// <summary>Budget curves from a set: one full-budget run of M segments with a <see cref="SegmentLedger"/>.</summary>
public static class BudgetCurves
{
    public static IReadOnlyList<BudgetPoint> Of(ActModel model, PuzzleSet set, int maxSegments, int batchSize = 256, int? maxExamples = null, Func<int, int>? mapIdentifier = null)
    {
        var task = Solver.TaskOf(model.Config, set.Metadata.Task);
        var fixedExact = new int[maxSegments]; var fixedValid = new int[maxSegments]; var actExact = new int[maxSegments]; var actSegs = new double[maxSegments];
        int count = 0, seen = 0;
        foreach (var batch in Data.TestBatches.Enumerate(set, batchSize))
        {
            if (maxExamples is int lim && seen >= lim) break;
            using var scope = NewDisposeScope();
            int rows = Math.Min(batch.EffectiveSize, (maxExamples ?? int.MaxValue) - seen);
            seen += rows;
            int s = batch.SeqLen;
            var ledger = new SegmentLedger(model, task, batch.Inputs, batch.Labels, s, rows, maxSegments);
            var ids = batch.PuzzleIds.AsSpan(0, rows).ToArray().Select(i => (long)(mapIdentifier?.Invoke(i) ?? i)).ToArray();
            Inference.Run(model, tensor(batch.Inputs.AsSpan(0, rows * s).ToArray(), [rows, s], device: model.Device).to(int64),
                tensor(ids, [rows], device: model.Device), HaltPolicy.Full, maxSegments, ledger);
            for (int r = 0; r < rows; r++)
            {
                if (!ledger.HasLabel[r]) continue;
                count++;
                for (int b = 1; b <= maxSegments; b++)
                {
                    if (ledger.Exact[r, b - 1]) fixedExact[b - 1]++;
                    if (ledger.Valid[r, b - 1]) fixedValid[b - 1]++;
                    int a = ledger.ActSegments(r, b);
                    if (ledger.Exact[r, a - 1]) actExact[b - 1]++;
                    actSegs[b - 1] += a;
                }
            }
        }
        int n = Math.Max(count, 1);
        bool rule = task is { HasRule: true };
        return Enumerable.Range(1, maxSegments).Select(b => new BudgetPoint(b, (double)fixedExact[b - 1] / n, rule ? (double)fixedValid[b - 1] / n : null,
            (double)actExact[b - 1] / n, actSegs[b - 1] / n)).ToList();
    }
}
