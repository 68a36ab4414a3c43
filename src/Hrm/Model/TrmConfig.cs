using System.Text.Json.Serialization;
using TorchSharp;

namespace Hrm.Model;

/// <summary>
/// The Tiny Recursive Model (the reference's <c>TinyRecursiveReasoningModel_ACTV1Config</c>): one network of L_layers
/// blocks used for both the z_L and the z_H update, H_cycles full recursions per segment of which only the last carries
/// a gradient. H_layers is accepted and ignored, as the reference does.
/// </summary>
public sealed record TrmConfig : ModelConfig
{
    /// <summary>Replace attention by a SwiGLU over the sequence axis (the reference's Sudoku setting).</summary>
    [ConfigKey("Token mixer: a SwiGLU over the sequence axis instead of attention (the authors' Sudoku setting).")]
    [JsonPropertyName("mlp_t")] public bool MlpT { get; init; }
    /// <summary>Puzzle tokens prepended; used as given when non-zero, 0 = HRM's rule ceil(puzzle_emb_ndim / hidden_size).</summary>
    [ConfigKey("Puzzle tokens prepended; 0 = ceil(puzzle_emb_ndim / hidden_size).", Min = 0)]
    [JsonPropertyName("puzzle_emb_len")] public int PuzzleEmbLenSetting { get; init; } = 16;
    /// <summary>Halt when q_halt &gt; 0 and train no Q-continue target (true, the reference's default); false = HRM's
    /// rule with its bootstrapped Q-continue target (the reference's own false path is broken, see docs/trm.md).</summary>
    [ConfigKey("Halt when q_halt > 0 and train no Q-continue target.")]
    [JsonPropertyName("no_ACT_continue")] public bool NoActContinue { get; init; } = true;

    [JsonIgnore] public override Architecture Architecture => Architecture.Trm;
    public override RecurrentCore BuildCore(torch.Generator? generator) => new TrmInner(this, generator);
    [JsonIgnore] public override ActHalting Halting => NoActContinue ? ActHalting.QHaltPositive : ActHalting.QHaltAboveContinue;
    [JsonIgnore] public override int PuzzleEmbLen => PuzzleEmbLenSetting != 0 ? PuzzleEmbLenSetting : base.PuzzleEmbLen;
    [JsonIgnore] public override string Shape => $"{LLayers} layers ({MixerName}), {HCycles} recursions of {LCycles} z_L updates";
    [JsonIgnore] public override string MixerName => MlpT ? "mlp_t" : base.MixerName;
    [JsonIgnore] public override int BlocksPerSegment => HCycles * (LCycles + 1) * LLayers;
    [JsonIgnore] public override int GradientBlocksPerSegment => (LCycles + 1) * LLayers;
    /// <summary>Width of the sequence-axis SwiGLU of mlp_t blocks: the reference's rule applied to P+S.</summary>
    [JsonIgnore] public int MlpTIntermediate => SwiGlu.IntermediateSize(ModelSeqLen, Expansion);

    protected override void CheckArch()
    {
        base.CheckArch();
        Require(GridConv == 0 || !MlpT, "grid_conv and mlp_t are both token mixers: set one of them");
        Require(CellGroups == "" || !MlpT, "cell_groups and mlp_t are both token mixers: set one of them");
        // The reference prepends nothing without a puzzle table yet still sizes the carry with P tokens, and then fails
        // with a shape error on the first segment.
        Require(PuzzleEmbNdim > 0 || PuzzleEmbLenSetting == 0, "puzzle_emb_ndim 0 requires puzzle_emb_len 0 (there are no puzzle tokens to prepend)");
        Require((long)PuzzleEmbNdim <= (long)PuzzleEmbLen * HiddenSize,
            $"puzzle_emb_ndim ({PuzzleEmbNdim}) must fit in puzzle_emb_len x hidden_size ({PuzzleEmbLen} x {HiddenSize})");
    }
}
