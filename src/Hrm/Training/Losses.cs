using Hrm.Data;
using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Hrm.Training;

/// <summary>Token losses of the LM head. Labels equal to <see cref="PuzzleSet.IgnoreLabel"/> contribute 0.</summary>
public static class Losses
{
    const int IgnoreLabel = PuzzleSet.IgnoreLabel;

    /// <summary>
    /// Stablemax cross-entropy: s(x) = x + 1 for x &gt;= 0, 1/(1 - x) for x &lt; 0; log p = log(s(x_y) / sum s(x)).
    /// Computed in float64 because s grows only linearly, so the normaliser loses precision in low precision.
    /// </summary>
    public static Tensor StablemaxCrossEntropy(Tensor logits, Tensor labels)
    {
        var x = logits.to(float64);
        var s = where(x < 0, 1.0 / (1.0 - x + 1e-30), x + 1.0);
        var logprobs = log(s / s.sum(-1, keepdim: true));
        var valid = labels != IgnoreLabel;
        var safe = where(valid, labels, zeros_like(labels)).to(int64);
        var picked = logprobs.gather(-1, safe.unsqueeze(-1)).squeeze(-1);
        return -where(valid, picked, zeros_like(picked));
    }

    /// <summary>Softmax cross-entropy in float32, 0 where the label is ignored.</summary>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor labels)
    {
        long v = logits.shape[^1];
        var flat = F.cross_entropy(logits.to(float32).reshape(-1, v), labels.to(int64).reshape(-1),
            ignore_index: IgnoreLabel, reduction: nn.Reduction.None);
        return flat.view(labels.shape);
    }

    public static Tensor TokenLoss(LossType type, Tensor logits, Tensor labels) => type switch
    {
        LossType.StablemaxCrossEntropy => StablemaxCrossEntropy(logits, labels),
        _ => SoftmaxCrossEntropy(logits, labels),
    };
}

/// <summary>Per-segment metric sums over the rows that halted this segment and have at least one valid label.</summary>
public sealed record SegmentMetrics(double Count, double Accuracy, double ExactAccuracy, double QHaltAccuracy, double Steps,
    double LmLoss, double QHaltLoss, double QContinueLoss)
{
    public static readonly SegmentMetrics Zero = new(0, 0, 0, 0, 0, 0, 0, 0);

    public SegmentMetrics Add(SegmentMetrics o) => new(Count + o.Count, Accuracy + o.Accuracy, ExactAccuracy + o.ExactAccuracy,
        QHaltAccuracy + o.QHaltAccuracy, Steps + o.Steps, LmLoss + o.LmLoss, QHaltLoss + o.QHaltLoss, QContinueLoss + o.QContinueLoss);
}

/// <summary>
/// One segment's loss terms and metric sums, by name. <see cref="Total"/> (float64) is differentiable; every other
/// tensor is a detached float64 scalar. Metric sums cover the rows that halted this segment and have at least one valid
/// label; the losses are summed over all rows, as the reference does.
/// </summary>
public sealed record ActLossResult(Tensor Total, Tensor LmLoss, Tensor QHaltLoss, Tensor QContinueLoss,
    Tensor Count, Tensor Accuracy, Tensor ExactAccuracy, Tensor QHaltAccuracy, Tensor Steps)
{
    /// <summary>Sum of two chunks' results (micro-batches of one step).</summary>
    public ActLossResult Add(ActLossResult o) => new(Total.detach() + o.Total.detach(), LmLoss + o.LmLoss, QHaltLoss + o.QHaltLoss,
        QContinueLoss + o.QContinueLoss, Count + o.Count, Accuracy + o.Accuracy, ExactAccuracy + o.ExactAccuracy,
        QHaltAccuracy + o.QHaltAccuracy, Steps + o.Steps);

    /// <summary>The metric sums on the host (one device synchronisation).</summary>
    public SegmentMetrics ToMetrics()
    {
        using var packed = stack([Count, Accuracy, ExactAccuracy, QHaltAccuracy, Steps, LmLoss, QHaltLoss, QContinueLoss]).cpu();
        var v = packed.data<double>().ToArray();
        return new SegmentMetrics(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }

    /// <summary>Keeps every tensor alive past the current dispose scope.</summary>
    public ActLossResult MoveToOuter()
    {
        foreach (var t in new[] { Total, LmLoss, QHaltLoss, QContinueLoss, Count, Accuracy, ExactAccuracy, QHaltAccuracy, Steps }) t.MoveToOuterDisposeScope();
        return this;
    }
}

/// <summary>
/// The ACT loss head (the reference's ACTLossHead): lm_loss (per-row mean over valid tokens, summed over rows),
/// q_halt_loss (BCE of q_halt against "whole sequence correct"), q_continue_loss (BCE against the bootstrapped target,
/// absent, i.e. 0, when the halting rule has no target), total = lm + 0.5 (q_halt + q_continue), in float64.
/// </summary>
public static class ActLoss
{
    public static ActLossResult Compute(ActCarry carry, ActOutput output, LossType lossType)
    {
        var labels = carry.Data.Labels;
        Tensor seqIsCorrect, divisor, count, accuracy, exact, qAcc, steps;
        using (no_grad())
        {
            var mask = labels != PuzzleSet.IgnoreLabel;
            var counts = mask.sum([-1]);                                      // [B] int64
            divisor = counts.clamp_min(1).unsqueeze(-1);
            var isCorrect = mask & (output.Logits.argmax(-1) == labels);
            seqIsCorrect = isCorrect.sum([-1]) == counts;
            var valid = carry.Halted & (counts > 0);
            var zero = zeros_like(valid, dtype: float64);
            count = valid.sum().to(float64);
            accuracy = where(valid, (isCorrect.to(float32) / divisor).sum([-1]).to(float64), zero).sum();
            exact = (valid & seqIsCorrect).sum().to(float64);
            qAcc = (valid & ((output.QHalt >= 0) == seqIsCorrect)).sum().to(float64);
            steps = where(valid, carry.Steps.to(float64), zero).sum();
        }
        var lmLoss = (Losses.TokenLoss(lossType, output.Logits, labels) / divisor).sum();
        var qHaltLoss = F.binary_cross_entropy_with_logits(output.QHalt, seqIsCorrect.to(output.QHalt.dtype), reduction: nn.Reduction.Sum);
        var qContinueLoss = output.TargetQContinue is null
            ? zeros_like(qHaltLoss)
            : F.binary_cross_entropy_with_logits(output.QContinue, output.TargetQContinue, reduction: nn.Reduction.Sum);
        var total = lmLoss.to(float64) + 0.5 * (qHaltLoss + qContinueLoss).to(float64);
        return new ActLossResult(total, lmLoss.detach().to(float64), qHaltLoss.detach().to(float64), qContinueLoss.detach().to(float64),
            count, accuracy, exact, qAcc, steps);
    }
}
