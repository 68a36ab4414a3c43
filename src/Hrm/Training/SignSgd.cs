using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>
/// Sign-SGD with decoupled weight decay for the sparse puzzle-embedding table (the reference's
/// CastedSparseEmbeddingSignSGD): only rows used by the batch change. Gradients of rows with the same id are summed,
/// then w = w * (1 - lr*wd) - lr * sign(grad). With very sparse gradients Adam behaves like sign-SGD, hence the choice.
/// </summary>
public sealed class SignSgd
{
    readonly PuzzleEmbedding embedding;
    public double LearningRate { get; set; }
    public double WeightDecay { get; }

    public SignSgd(PuzzleEmbedding embedding, double lr = 1e-2, double weightDecay = 0.1)
    {
        this.embedding = embedding;
        LearningRate = lr;
        WeightDecay = weightDecay;
    }

    public void Step()
    {
        var used = embedding.Locals.Where(l => l.Weights.grad is not null).ToList();
        if (used.Count == 0) return;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var grad = cat(used.Select(l => l.Weights.grad!).ToArray(), 0);   // [rows of all forwards, ndim]
        var ids = cat(used.Select(l => l.Ids).ToArray(), 0);
        var (uniqueIds, inverse, _) = ids.unique(sorted: true, return_inverse: true);
        if (inverse is null) throw new InvalidOperationException("unique(return_inverse: true) returned no inverse");
        var summed = zeros(uniqueIds.shape[0], grad.shape[1], grad.dtype, grad.device);
        summed.index_add_(0, inverse, grad, 1);
        var weights = embedding.weights;
        var rows = weights.index_select(0, uniqueIds);
        rows.mul_(1.0 - LearningRate * WeightDecay).add_(summed.sign(), alpha: -LearningRate);
        weights.index_copy_(0, uniqueIds, rows);
    }

    public void ZeroGrad() => embedding.ClearLocal();
}
