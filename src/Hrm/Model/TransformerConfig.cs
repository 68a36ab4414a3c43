using System.Text.Json.Serialization;
using TorchSharp;

namespace Hrm.Model;

/// <summary>
/// The reference's non-recursive baseline (TRM repository, <c>recursive_reasoning.transformers_baseline@Model_ACTV2</c>):
/// H_layers post-norm blocks applied once per segment to z_H + x, with full gradient, under the same ACT wrapper.
/// H_cycles is accepted and ignored ("kept for compatibility"), as are L_layers and L_cycles. Halting is HRM's
/// q_halt &gt; q_continue, but the reference never asks for a Q-continue target (compute_target_q is never passed), so
/// q_continue is only weight-decayed.
/// </summary>
public sealed record TransformerConfig : ModelConfig
{
    /// <summary>Adaptive halting in training; false runs every row halt_max_steps segments.</summary>
    [ConfigKey("Adaptive halting in training.")]
    [JsonPropertyName("act_enabled")] public bool ActEnabled { get; init; } = true;
    /// <summary>The reference's act_inference (adaptive halting in its ACT wrapper's evaluation forward), read and
    /// written back so that configs round-trip with the authors' code. Our inference never reads it: eval, solve and
    /// serve halt by the halting rule they are given (<c>HaltPolicy</c>; the model's own ACT decision is its "q" rule).</summary>
    [ConfigKey("The authors' adaptive halting in their evaluation; carried for their code only: eval, solve and serve halt by their own halt option (q: the model's ACT decision).")]
    [JsonPropertyName("act_inference")] public bool ActInference { get; init; }

    [JsonIgnore] public override Architecture Architecture => Architecture.Transformer;
    public override RecurrentCore BuildCore(torch.Generator? generator) => new TransformerInner(this, generator);
    [JsonIgnore] public override bool BootstrapsQContinue => false;
    [JsonIgnore] public override bool HaltsInTraining => ActEnabled;
    [JsonIgnore] public override string Shape => $"{HLayers} layers ({MixerName}) once per segment";
    [JsonIgnore] public override int BlocksPerSegment => HLayers;
    [JsonIgnore] public override int GradientBlocksPerSegment => HLayers;

    protected override void CheckArch()
    {
        base.CheckArch();
        Require(HLayers >= 1, "H_layers must be >= 1");
        Require(Positions is PositionEncoding.Rope or PositionEncoding.Learned, $"pos_encodings must be rope or learned, not '{PosEncodings}'");
    }
}
