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

    readonly List<(Tensor Weights, Tensor Ids)> locals = new();

    /// <summary>
    /// The rows read by each gradient-enabled training forward since the last <see cref="ClearLocal"/> (leaves with
    /// requires_grad) and their ids: one entry per forward, several when a batch runs in row chunks.
    /// </summary>
    public IReadOnlyList<(Tensor Weights, Tensor Ids)> Locals => locals;

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
        Tensor local, localIds;
        using (no_grad())
        {
            localIds = ids.detach().clone().DetachFromDisposeScope();
            local = weights.index_select(0, ids).DetachFromDisposeScope();
        }
        local.requires_grad_(true);
        locals.Add((local, localIds));
        return local.to(castTo);
    }

    public void ClearLocal()
    {
        foreach (var (w, i) in locals) { w.Dispose(); i.Dispose(); }
        locals.Clear();
    }
}
