using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace Hrm.Model;

/// <summary>Token loss of the language-model head.</summary>
public enum LossType { StablemaxCrossEntropy, SoftmaxCrossEntropy }

/// <summary>
/// The HRM architecture (the reference's <c>HierarchicalReasoningModel_ACTV1Config</c>), with the paper's defaults.
/// JSON field names are the reference's, so its config files load unchanged.
/// </summary>
public sealed record HrmConfig
{
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 768;
    [JsonPropertyName("seq_len")] public int SeqLen { get; init; } = 81;
    /// <summary>Width of the per-puzzle learned embedding; 0 disables it. The reference's presets use hidden_size.</summary>
    [JsonPropertyName("puzzle_emb_ndim")] public int PuzzleEmbNdim { get; init; } = 512;
    [JsonPropertyName("num_puzzle_identifiers")] public int NumPuzzleIdentifiers { get; init; } = 1;
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 11;

    [JsonPropertyName("H_cycles")] public int HCycles { get; init; } = 2;
    [JsonPropertyName("L_cycles")] public int LCycles { get; init; } = 2;
    [JsonPropertyName("H_layers")] public int HLayers { get; init; } = 4;
    [JsonPropertyName("L_layers")] public int LLayers { get; init; } = 4;

    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 512;
    [JsonPropertyName("expansion")] public double Expansion { get; init; } = 4.0;
    [JsonPropertyName("num_heads")] public int NumHeads { get; init; } = 8;
    /// <summary>"rope", "learned", or "rope2d" (rotary positions by row and column of a square grid; not in the reference).</summary>
    [JsonPropertyName("pos_encodings")] public string PosEncodings { get; init; } = "rope";
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-5;
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;

    /// <summary>0 (the reference): only the last L and H update of a segment get a gradient; k: the last k H cycles do.</summary>
    [JsonPropertyName("grad_h_cycles")] public int GradHCycles { get; init; }
    [JsonPropertyName("halt_max_steps")] public int HaltMaxSteps { get; init; } = 16;
    [JsonPropertyName("halt_exploration_prob")] public double HaltExplorationProb { get; init; } = 0.1;

    /// <summary>"float32" or "bfloat16": activations, the carry and H_init/L_init. Parameters stay float32.</summary>
    [JsonPropertyName("forward_dtype")] public string ForwardDtype { get; init; } = "bfloat16";

    [JsonPropertyName("loss_type")] public LossType Loss { get; init; } = LossType.StablemaxCrossEntropy;

    // ---- derived quantities ----
    [JsonIgnore] public int HeadDim => HiddenSize / NumHeads;
    /// <summary>Number of puzzle-embedding tokens prepended to the sequence: ceil(puzzle_emb_ndim / hidden_size).</summary>
    [JsonIgnore] public int PuzzleEmbLen => (PuzzleEmbNdim + HiddenSize - 1) / HiddenSize;
    [JsonIgnore] public int ModelSeqLen => SeqLen + PuzzleEmbLen;
    /// <summary>Side of the square grid the sequence is (seq_len = side^2), or 0 if seq_len is not a square.</summary>
    [JsonIgnore] public int GridSide => (int)Math.Round(Math.Sqrt(SeqLen)) is var n && n * n == SeqLen ? n : 0;
    /// <summary>SwiGLU width: round(expansion * hidden * 2/3) (half to even, as Python) rounded up to a multiple of 256.</summary>
    [JsonIgnore] public int SwiGluIntermediate => RoundUp((int)Math.Round(Expansion * HiddenSize * 2.0 / 3.0, MidpointRounding.ToEven), 256);
    [JsonIgnore] public torch.ScalarType ForwardScalarType => ForwardDtype switch
    {
        "float32" => torch.ScalarType.Float32,
        "bfloat16" => torch.ScalarType.BFloat16,
        _ => throw new HrmException($"forward_dtype must be float32 or bfloat16, not '{ForwardDtype}'"),
    };

    static int RoundUp(int a, int b) => (a + b - 1) / b * b;

    /// <summary>Checks every field once; throws <see cref="HrmException"/> naming the first bad one.</summary>
    public HrmConfig Validate()
    {
        void Require(bool ok, string message) { if (!ok) throw new HrmException($"config: {message}"); }
        Require(BatchSize > 0, "batch_size must be positive");
        Require(SeqLen > 0, "seq_len must be positive");
        Require(PuzzleEmbNdim >= 0, "puzzle_emb_ndim must be >= 0");
        Require(NumPuzzleIdentifiers > 0, "num_puzzle_identifiers must be positive");
        Require(VocabSize > 1, "vocab_size must be at least 2");
        Require(HCycles >= 1 && LCycles >= 1, "H_cycles and L_cycles must be >= 1");
        Require(HLayers >= 1 && LLayers >= 1, "H_layers and L_layers must be >= 1");
        Require(HiddenSize > 0 && NumHeads > 0 && HiddenSize % NumHeads == 0, "hidden_size must be a positive multiple of num_heads");
        Require(HeadDim % 2 == 0 || PosEncodings != "rope", "head_dim (hidden_size / num_heads) must be even for rope");
        Require(Expansion > 0, "expansion must be positive");
        Require(PosEncodings is "rope" or "learned" or "rope2d", $"pos_encodings must be rope, learned or rope2d, not '{PosEncodings}'");
        Require(PosEncodings != "rope2d" || GridSide > 0, $"pos_encodings rope2d needs a square grid, but seq_len {SeqLen} is not a square");
        Require(PosEncodings != "rope2d" || HeadDim % 4 == 0, "head_dim (hidden_size / num_heads) must be a multiple of 4 for rope2d");
        Require(RmsNormEps > 0, "rms_norm_eps must be positive");
        Require(RopeTheta > 0, "rope_theta must be positive");
        Require(HaltMaxSteps >= 1, "halt_max_steps must be >= 1");
        Require(GradHCycles >= 0 && GradHCycles <= HCycles, $"grad_h_cycles must be in 0..H_cycles ({HCycles}), got {GradHCycles}");
        Require(HaltExplorationProb is >= 0 and <= 1, "halt_exploration_prob must be in [0, 1]");
        _ = ForwardScalarType;
        return this;
    }
}
