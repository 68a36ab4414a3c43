using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>
/// The per-puzzle learned embedding (the reference's CastedSparseEmbedding). The table is a float32 buffer, not a
/// parameter: only the rows used by a batch are trained, by sign-SGD (see <see cref="Training.SignSgd"/>). In training,
/// the batch's rows are copied into a local leaf tensor that receives the gradient; the optimiser then reads
/// <see cref="LocalWeights"/>.grad and <see cref="LocalIds"/>.
/// </summary>
public sealed class PuzzleEmbedding : nn.Module
{
    public readonly Tensor weights;   // [num_puzzle_identifiers, puzzle_emb_ndim] float32
    readonly ScalarType castTo;

    /// <summary>The rows of the last gradient-enabled training forward (a leaf with requires_grad) and their ids.</summary>
    public Tensor? LocalWeights { get; private set; }
    public Tensor? LocalIds { get; private set; }

    public PuzzleEmbedding(int num, int dim, ScalarType castTo) : base(nameof(PuzzleEmbedding))
    {
        this.castTo = castTo;
        weights = zeros(num, dim);   // zero init, as the reference
        register_buffer("weights", weights);
    }

    public Tensor forward(Tensor ids)
    {
        if (!training || !is_grad_enabled())
            return weights.index_select(0, ids).to(castTo);
        ClearLocal();
        using (no_grad())
        {
            LocalIds = ids.detach().clone().DetachFromDisposeScope();
            LocalWeights = weights.index_select(0, ids).DetachFromDisposeScope();
        }
        LocalWeights.requires_grad_(true);
        return LocalWeights.to(castTo);
    }

    public void ClearLocal()
    {
        LocalWeights?.Dispose();
        LocalIds?.Dispose();
        LocalWeights = null;
        LocalIds = null;
    }
}
