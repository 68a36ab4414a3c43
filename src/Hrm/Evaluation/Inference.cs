using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Evaluation;

/// <summary>The answer for one row: the predicted tokens, the segments it ran, and q_halt / q_continue per segment.</summary>
public sealed record RowResult(int[] Prediction, int Segments, float[] QHalt, float[] QContinue);

/// <summary>
/// Runs the model in evaluation mode over segments. Without early exit every row runs halt_max_steps segments, as the
/// reference evaluates. With early exit a row stops at the first segment where q_halt &gt; q_continue (the model's own
/// halting decision), and finished rows are dropped from the batch so later segments cost less.
/// </summary>
public static class Inference
{
    public static RowResult[] Run(ActModel model, Tensor inputs, Tensor puzzleIds, bool earlyExit = false, int? maxSegments = null)
    {
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
            for (int m = 1; m <= segments && active.shape[0] > 0; m++)
            {
                using var stepScope = NewDisposeScope();
                var seg = inner.forward(carry, x, ids);
                var qHalt = seg.QHalt.cpu().data<float>().ToArray();
                var qCont = seg.QContinue.cpu().data<float>().ToArray();
                var rows = active.cpu().data<long>().ToArray();
                var halt = new bool[rows.Length];
                for (int i = 0; i < rows.Length; i++)
                {
                    qh[rows[i]].Add(qHalt[i]);
                    qc[rows[i]].Add(qCont[i]);
                    halt[i] = m == segments || (earlyExit && qHalt[i] > qCont[i]);
                }
                if (halt.Any(h => h))
                {
                    var pred = seg.Logits.argmax(-1).to(int32).cpu();
                    long s = pred.shape[1];
                    var predData = pred.data<int>().ToArray();
                    for (int i = 0; i < rows.Length; i++)
                        if (halt[i])
                            results[rows[i]] = new RowResult(predData.AsSpan((int)(i * s), (int)s).ToArray(), m, qh[rows[i]].ToArray(), qc[rows[i]].ToArray());
                }
                if (halt.All(h => h)) break;
                if (halt.Any(h => h))
                {
                    var keep = tensor(Enumerable.Range(0, rows.Length).Where(i => !halt[i]).Select(i => (long)i).ToArray(), device: inputs.device);
                    carry = new InnerCarry(seg.Carry.ZH.index_select(0, keep), seg.Carry.ZL.index_select(0, keep));
                    x = x.index_select(0, keep);
                    ids = ids.index_select(0, keep);
                    active = active.index_select(0, keep);
                }
                else carry = seg.Carry;
                foreach (var t in new[] { carry.ZH, carry.ZL, x, ids, active }) t.MoveToOuterDisposeScope();
            }
        }
        finally { model.train(wasTraining); }
        return results.Select(r => r!).ToArray();
    }
}
