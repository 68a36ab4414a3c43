using Hrm.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Model;

/// <summary>
/// Ours, not in the reference: a token mixer that passes messages along a task's cell groups (as Recurrent Relational
/// Networks do along a Sudoku cell's row, column and box). For each kind k, every cell takes the mean state of the
/// groups of that kind it belongs to, through a linear map W_k shared by all groups of the kind; the sum over kinds is
/// the mixer output (added to the residual by the block). Puzzle tokens take no part (their mixer output is zero).
/// </summary>
public sealed class GroupMixer : nn.Module, ITokenMixer
{
    readonly Tensor aggregation;        // [K * S, S] float32, not persistent (rebuilt from the config)
    public readonly CastedLinear proj;  // K * hidden -> hidden
    readonly int kinds, cells, prefix;

    public GroupMixer(IReadOnlyList<CellGroupKind> groupKinds, int cells, int prefix, int hidden, Generator? generator) : base(nameof(GroupMixer))
    {
        if (groupKinds.Count == 0) throw new HrmException("cell_groups: the structure has no group kinds");
        (kinds, this.cells, this.prefix) = (groupKinds.Count, cells, prefix);
        aggregation = CellGroups.AggregationMatrix(groupKinds, cells);
        register_buffer("aggregation", aggregation, persistent: false);
        proj = new CastedLinear(kinds * hidden, hidden, bias: false, generator);
        register_module("proj", proj);
    }

    public string Name => "group_mixer";
    public nn.Module Module => this;
    /// <summary>The aggregation is built for the grid size of the config (the weights themselves are size-free).</summary>
    public bool DependsOnSeqLen => true;
    public Tensor Apply(Tensor h, RotaryEmbedding? rotary, double eps) => RmsNorm.Apply(h + forward(h), eps);

    /// <summary>The mixer output for hidden states [B, P+S, D]: zeros at the P puzzle tokens.</summary>
    public Tensor forward(Tensor h)
    {
        long b = h.shape[0], d = h.shape[2];
        var x = prefix > 0 ? h.narrow(1, prefix, cells) : h;
        var agg = matmul(aggregation.to(h.dtype), x)                    // [B, K*S, D]
            .view(b, kinds, cells, d).permute(0, 2, 1, 3).reshape(b, cells, kinds * d);
        var mixed = proj.forward(agg);
        return prefix > 0 ? cat([zeros(b, prefix, d, h.dtype, h.device), mixed], 1) : mixed;
    }
}
