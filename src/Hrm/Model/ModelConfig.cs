using System.Text.Json.Serialization;
using TorchSharp;

namespace Hrm.Model;

/// <summary>Token loss of the language-model head; in config files by its snake_case name (stablemax_cross_entropy).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<LossType>))]
public enum LossType { StablemaxCrossEntropy, SoftmaxCrossEntropy }

/// <summary>The position encoding a model uses, derived from the config key pos_encodings (a string in config files:
/// rope, learned, rope2d; TRM also none, see <see cref="ModelConfig.Positions"/>).</summary>
public enum PositionEncoding
{
    /// <summary>rope: rotary positions along the sequence.</summary>
    Rope,
    /// <summary>learned: a learned embedding per position.</summary>
    Learned,
    /// <summary>rope2d (ours): rotary positions by row and column of a square grid.</summary>
    Rope2d,
    /// <summary>none: no positions (TRM, for any value other than the three above).</summary>
    None,
}

/// <summary>The activation dtype a config asks for, a typed view of the config key forward_dtype (a string in config
/// files and on the command line: float32, bfloat16, auto; see <see cref="ModelConfig.ForwardDtypeSetting"/>).</summary>
public enum ForwardDtypeSetting { Float32, BFloat16, Auto }

/// <summary>How the ACT wrapper decides in training that a row halts (besides reaching halt_max_steps).</summary>
public enum ActHalting
{
    /// <summary>HRM: halt when q_halt &gt; q_continue; q_continue is trained towards a bootstrapped target that costs one
    /// more no-gradient forward.</summary>
    QHaltAboveContinue,
    /// <summary>TRM's no_ACT_continue: halt when q_halt &gt; 0 (sigmoid &gt; 0.5); no Q-continue target, no extra forward.</summary>
    QHaltPositive,
}

/// <summary>
/// The settings every architecture shares (the fields of the reference's model configs with the same JSON names), with
/// the paper's defaults. Each architecture derives its own record (<see cref="HrmConfig"/>, ...) and names its recurrent core; <see cref="Interop.ConfigJson"/> picks the record from
/// the config's "name" (the reference's <c>module@Class</c>; missing means HRM).
/// </summary>
public abstract record ModelConfig
{
    [ConfigKey("Rows per batch; training sets it from global_batch_size.", FromDataset = true, Min = 1, Max = 1 << 20)]
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 768;
    [ConfigKey("Tokens per puzzle; set from the dataset.", FromDataset = true, Min = 1, Max = 1 << 20)]
    [JsonPropertyName("seq_len")] public int SeqLen { get; init; } = 81;
    /// <summary>Width of the per-puzzle learned embedding; 0 disables it. The reference's presets use hidden_size.</summary>
    [ConfigKey("Width of the per-puzzle learned embedding; 0 disables it.", Min = 0, Max = 1 << 16)]
    [JsonPropertyName("puzzle_emb_ndim")] public int PuzzleEmbNdim { get; init; } = 512;
    [ConfigKey("Rows of the puzzle-embedding table; set from the dataset.", FromDataset = true, Min = 1, Max = 1 << 27)]
    [JsonPropertyName("num_puzzle_identifiers")] public int NumPuzzleIdentifiers { get; init; } = 1;
    [ConfigKey("Token vocabulary; set from the dataset.", FromDataset = true, Min = 2, Max = 1 << 20)]
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 11;

    [ConfigKey("High-level cycles per segment (TRM: recursions).", Min = 1, Max = 256)]

    [JsonPropertyName("H_cycles")] public int HCycles { get; init; } = 2;
    [ConfigKey("Low-level steps per high-level cycle.", Min = 1, Max = 256)]
    [JsonPropertyName("L_cycles")] public int LCycles { get; init; } = 2;
    [ConfigKey("Blocks of the high-level module (HRM; the baseline's stack; ignored by TRM).", Min = 0, Max = 256, Rule = ">= 1 for HRM and the baseline")]
    [JsonPropertyName("H_layers")] public int HLayers { get; init; } = 4;
    [ConfigKey("Blocks of the low-level module (TRM: of its single network).", Min = 1, Max = 256)]
    [JsonPropertyName("L_layers")] public int LLayers { get; init; } = 4;

    [ConfigKey("Model width.", Min = 1, Max = 1 << 14, Rule = "multiple of num_heads")]

    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 512;
    [ConfigKey("SwiGLU expansion factor.", Min = 0, MinExclusive = true, Max = 64)]
    [JsonPropertyName("expansion")] public double Expansion { get; init; } = 4.0;
    [ConfigKey("Attention heads.", Min = 1)]
    [JsonPropertyName("num_heads")] public int NumHeads { get; init; } = 8;
    /// <summary>"rope" or "learned" (TRM also "none"); HRM also "rope2d" (rotary positions by row and column of a square grid; not in the reference).</summary>
    [ConfigKey("rope, learned (TRM also none); rope2d (ours: rotary by row and column of a square grid).")]
    [JsonPropertyName("pos_encodings")] public string PosEncodings { get; init; } = "rope";
    [ConfigKey("RMSNorm epsilon.", Min = 0, MinExclusive = true)]
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-5;
    [ConfigKey("RoPE base.", Min = 0, MinExclusive = true)]
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;
    /// <summary>A learned attention bias per head and (row offset, column offset) between two cells of a square grid,
    /// added to the attention scores of every attention layer (as Swin's relative position bias; zeros at the start,
    /// so an untrained model attends as without it). Any position encoding may be combined with it. Not in the
    /// reference.</summary>
    [ConfigKey("A learned attention bias per head and 2-D offset between grid cells.", Ours = true)]
    [JsonPropertyName("rel_pos_bias")] public bool RelPosBias { get; init; }
    /// <summary>The bias is this times its stored parameter. Adam moves a parameter by about lr per step whatever its
    /// gradient, so a sharp attention bias (several units) takes thousands of steps at scale 1; a larger scale is a
    /// larger learning rate for the bias alone.</summary>
    [ConfigKey("Multiplier of the stored relative bias (a larger learning rate for it alone).", Ours = true)]
    [JsonPropertyName("rel_pos_bias_scale")] public double RelPosBiasScale { get; init; } = 1.0;

    /// <summary>Ours, not in the reference: a k x k convolution over the square grid (hidden -> hidden, no bias, zero
    /// padding at the border) as the token mixer instead of attention (HRM, TRM and the baseline alike; TRM also has mlp_t); 0 = off. The same weights serve every
    /// cell, so "my neighbours" is learned once for the whole grid and the model runs on any grid size. Puzzle tokens
    /// (if any) take no part in the mixing.</summary>
    [ConfigKey("Token mixer: a k x k convolution over the square grid (odd k; 0 = off); weights independent of the grid size.", Ours = true, Rule = "0 or odd")]
    [JsonPropertyName("grid_conv")] public int GridConv { get; init; }
    /// <summary>Ours, not in the reference: the token mixer passes messages along the cell groups the task supplies under
    /// this name (<see cref="Hrm.Tasks.CellGroups"/>: "sudoku" = rows, columns, boxes; "rows_cols"), one linear map per
    /// group kind shared by all groups of that kind, instead of attention or grid_conv; "" = off. Puzzle tokens
    /// take no part.</summary>
    [ConfigKey("Token mixer: messages along the cell groups the task supplies (sudoku: rows, columns, boxes; rows_cols); \"\" = off.", Ours = true, Rule = "\"\", sudoku or rows_cols")]
    [JsonPropertyName("cell_groups")] public string CellGroups { get; init; } = "";

    /// <summary>Ours: with grid_conv, also a linear map of each channel's max and min over the 4 neighbours of a cell
    /// (<see cref="GridConvMixer"/>).</summary>
    [ConfigKey("With grid_conv: also a linear map of each channel's max and min over the 4 neighbours (a min-aggregation like Bellman-Ford's).", Ours = true)]
    [JsonPropertyName("grid_minmax")] public bool GridMinMax { get; init; }
    [ConfigKey("Segments per puzzle at most (ACT); evaluation runs all of them.", Min = 1, Max = 1024)]

    [JsonPropertyName("halt_max_steps")] public int HaltMaxSteps { get; init; } = 16;
    /// <summary>Ours: the segment budget on a grid of another side than the one trained on (a size-free model run on
    /// a bigger or smaller maze): halt_max_steps becomes max(1, ceil(this x side)). 0 (the default) keeps
    /// halt_max_steps at every size. A recurrence needs more segments to carry a path across a bigger grid.</summary>
    [ConfigKey("On a grid of another side: halt_max_steps becomes ceil(this x side); 0 = off.", Ours = true, Min = 0, Max = 64)]
    [JsonPropertyName("halt_max_steps_per_side")] public double HaltMaxStepsPerSide { get; init; }
    /// <summary>Ours: the halting rule of evaluation, solving and serving when none is asked for (full, q, confident,
    /// stable; see Evaluation.HaltRule). "full" (the default) runs every segment, as the reference evaluates; a model
    /// whose answers settle and then wander (a maze model run far beyond the grid it trained on) can carry "stable".
    /// Evaluation during training always runs every segment.</summary>
    [ConfigKey("Halting rule of eval, solve and serve when none is asked for: full (every segment, as the reference), q, confident or stable.", Ours = true, Rule = "full, q, confident or stable")]
    [JsonPropertyName("inference_halt")] public string InferenceHalt { get; init; } = "full";
    public static readonly string[] InferenceHaltRules = ["full", "q", "confident", "stable"];
    /// <summary>Ours, training only: before each training segment, the batch first runs a random number 0..N of
    /// segments without gradient (one draw per step from the run's generator), so the supervised segment starts from a
    /// state iterated further than its count says: the progressive loss of deep-thinking networks (Bansal et al.
    /// 2022: random iteration counts, gradients through the last ones only) in ACT form, which trains the recurrence
    /// to hold or improve an answer over more segments than it is supervised for (a bigger grid runs more). The extra
    /// segments do not count toward halt_max_steps. 0 (the default): off, the reference's training.</summary>
    [ConfigKey("Training only: before each training segment, run a random 0..N segments without gradient (the progressive loss); 0 = off.", Ours = true, Min = 0, Max = 64)]
    [JsonPropertyName("progressive_segments")] public int ProgressiveSegments { get; init; }
    [ConfigKey("Probability that a training row gets a random minimum number of segments.", Min = 0, Max = 1)]
    [JsonPropertyName("halt_exploration_prob")] public double HaltExplorationProb { get; init; } = 0.1;

    /// <summary>"float32", "bfloat16" or "auto": activations, the carry and H_init/L_init. Parameters stay float32. "auto"
    /// (ours) is bfloat16 only where it is native and a probe of the model's own training step finds it faster by a
    /// margin (<see cref="Runtime.PrecisionProbe.Decide"/>); the trainer resolves it on its device before building the
    /// model, keeps the decision in RUN/precision.json and saves the dtype that ran. A model built straight from an
    /// unresolved "auto" runs float32.</summary>
    [ConfigKey("Activation dtype: float32, bfloat16, or auto (bfloat16 only where native and faster in a probe of the model's own step); parameters stay float32.")]
    [JsonPropertyName("forward_dtype")] public string ForwardDtype { get; init; } = "bfloat16";

    [ConfigKey("Token loss, written as arch.loss.loss_type: stablemax_cross_entropy or softmax_cross_entropy.")]
    [JsonPropertyName("loss_type")] public LossType Loss { get; init; } = LossType.StablemaxCrossEntropy;

    /// <summary>The task the model was trained on ("sudoku", "maze", "arc"), recorded from the dataset; null for
    /// checkpoints from elsewhere (the task is then inferred from seq_len and vocab_size). Not a reference field.</summary>
    [ConfigKey("The task the model was trained on (sudoku, maze, arc); recorded from the dataset.", Ours = true, FromDataset = true)]
    [JsonPropertyName("task")] public string? Task { get; init; }

    // ---- the architecture ----
    [JsonIgnore] public abstract Architecture Architecture { get; }
    /// <summary>Builds this architecture's recurrent core (the reference's "inner" model).</summary>
    public abstract RecurrentCore BuildCore(torch.Generator? generator);
    [JsonIgnore] public virtual ActHalting Halting => ActHalting.QHaltAboveContinue;
    /// <summary>Whether training bootstraps a Q-continue target with one more forward (HRM; not TRM's no_ACT_continue,
    /// not the reference's transformer baseline, which never requests it).</summary>
    [JsonIgnore] public virtual bool BootstrapsQContinue => Halting == ActHalting.QHaltAboveContinue;
    /// <summary>Whether rows may halt before halt_max_steps in training (by <see cref="Halting"/>). In evaluation the
    /// inference loop's halting rule decides (Evaluation's HaltPolicy), never the config.</summary>
    [JsonIgnore] public virtual bool HaltsInTraining => true;

    // ---- derived quantities ----
    [JsonIgnore] public int HeadDim => HiddenSize / NumHeads;
    /// <summary>Number of puzzle-embedding tokens prepended to the sequence; HRM's rule: ceil(puzzle_emb_ndim / hidden_size).</summary>
    [JsonIgnore] public virtual int PuzzleEmbLen => (PuzzleEmbNdim + HiddenSize - 1) / HiddenSize;
    [JsonIgnore] public int ModelSeqLen => SeqLen + PuzzleEmbLen;
    /// <summary>Side of the square grid the sequence is (seq_len = side^2), or 0 if seq_len is not a square.</summary>
    [JsonIgnore] public int GridSide => Hrm.Tasks.GridSize.SquareSide(SeqLen);
    [JsonIgnore] public BlockConfig Block => new(HiddenSize, NumHeads, Expansion, RmsNormEps, RelPosBias ? GridSide : 0, PuzzleEmbLen, RelPosBiasScale);
    /// <summary>SwiGLU width: round(expansion * hidden * 2/3) (half to even, as Python) rounded up to a multiple of 256.</summary>
    [JsonIgnore] public int SwiGluIntermediate => Block.SwiGluIntermediate;
    /// <summary>Position encoding actually used, parsed from <see cref="PosEncodings"/>: rope, learned and rope2d by name,
    /// any other string none. That is TRM's rule (the reference treats any value other than rope and learned as "no
    /// positions"; our rope2d is kept, as for HRM); HRM and the transformer accept only their names
    /// (<see cref="CheckArch"/>), so for them none never reaches a model.</summary>
    [JsonIgnore] public PositionEncoding Positions => PosEncodings switch
    {
        "rope" => PositionEncoding.Rope,
        "learned" => PositionEncoding.Learned,
        "rope2d" => PositionEncoding.Rope2d,
        _ => PositionEncoding.None,
    };
    /// <summary><see cref="ForwardDtype"/> parsed; throws <see cref="HrmException"/> on any other string.</summary>
    [JsonIgnore] public ForwardDtypeSetting ForwardDtypeSetting => ForwardDtype switch
    {
        "float32" => ForwardDtypeSetting.Float32,
        "bfloat16" => ForwardDtypeSetting.BFloat16,
        "auto" => ForwardDtypeSetting.Auto,
        _ => throw new HrmException($"forward_dtype must be float32, bfloat16 or auto, not '{ForwardDtype}'"),
    };
    [JsonIgnore] public torch.ScalarType ForwardScalarType => ForwardDtypeSetting switch
    {
        ForwardDtypeSetting.BFloat16 => torch.ScalarType.BFloat16,
        // Unresolved auto (a model built straight from such a config, not through the trainer, bench, eval or serve,
        // which time the model's own step): float32, never wrong, only sometimes slower.
        _ => torch.ScalarType.Float32,
    };

    /// <summary>The shape in a few words, in the architecture's own terms (logs, `hrm bench`).</summary>
    [JsonIgnore] public virtual string Shape => $"H {HLayers} + L {LLayers} layers ({MixerName}), {HCycles}x{LCycles} cycles";
    /// <summary>The token mixer's name in logs: the same rule as <see cref="TokenMixers.Create"/>.</summary>
    [JsonIgnore] public virtual string MixerName => CellGroups != "" ? $"cell_groups {CellGroups}" : GridConv > 0 ? $"grid_conv {GridConv}{(GridMinMax ? " + minmax" : "")}" : "attention";

    /// <summary>Transformer-block applications in one segment (for FLOP counts), and how many of them carry a gradient.</summary>
    [JsonIgnore] public abstract int BlocksPerSegment { get; }
    [JsonIgnore] public abstract int GradientBlocksPerSegment { get; }

    /// <summary>The segment budget on a square grid of side <paramref name="side"/> (see <see cref="HaltMaxStepsPerSide"/>).</summary>
    public int HaltMaxStepsForSide(int side) =>
        HaltMaxStepsPerSide > 0 && side != GridSide ? Math.Clamp((int)Math.Ceiling(HaltMaxStepsPerSide * side - 1e-9), 1, 1024) : HaltMaxSteps;

    protected static void Require(bool ok, string message) { if (!ok) throw new HrmException(message).Within("config"); }

    /// <summary>Checks every field once; throws <see cref="HrmException"/> naming the first bad one.</summary>
    public ModelConfig Validate() => Validate(datasetKnown: true);

    /// <summary>Checks the ranges of the keys (from their [ConfigKey] attributes) and the rules between them
    /// (<see cref="CheckArch"/>); with <paramref name="datasetKnown"/> false (a training config's arch section before its
    /// dataset is read) the dataset-derived keys and the rules that involve them (<see cref="CheckDataset"/>) wait.</summary>
    public ModelConfig Validate(bool datasetKnown)
    {
        try { ConfigReader.CheckRanges(this, skip: datasetKnown ? null : attr => attr.FromDataset); }
        catch (HrmException e) { throw e.Within("config"); }
        CheckArch();
        if (datasetKnown) CheckDataset();
        return this;
    }

    /// <summary>The rules between keys beyond each key's range; an architecture adds its own (base first).</summary>
    protected virtual void CheckArch()
    {
        Require(HiddenSize % NumHeads == 0, "hidden_size must be a positive multiple of num_heads");
        Require(HeadDim % 2 == 0 || Positions != PositionEncoding.Rope, "head_dim (hidden_size / num_heads) must be even for rope");
        Require(Positions != PositionEncoding.Rope2d || HeadDim % 4 == 0, "head_dim (hidden_size / num_heads) must be a multiple of 4 for rope2d");
        Require(GridConv == 0 || (GridConv > 0 && GridConv % 2 == 1), $"grid_conv must be 0 (off) or an odd kernel size, not {GridConv}");
        Require(CellGroups == "" || GridConv == 0, "cell_groups and grid_conv are both token mixers: set one of them");
        Require(!GridMinMax || GridConv > 0, "grid_minmax is a part of the grid_conv mixer: set grid_conv too");
        // The name is checked here; whether it fits the grid when the mixer is built (configs are read before the data
        // sets seq_len).
        Require(CellGroups == "" || Hrm.Tasks.CellGroups.Names.Contains(CellGroups),
            $"unknown cell_groups '{CellGroups}' (expected {string.Join(" or ", Hrm.Tasks.CellGroups.Names)}, or empty for none)");
        Require(InferenceHaltRules.Contains(InferenceHalt), $"inference_halt must be {string.Join(", ", InferenceHaltRules)}, not '{InferenceHalt}'");
        Require(Runtime.PrecisionProbe.Names.Contains(ForwardDtype), $"forward_dtype must be float32, bfloat16 or auto, not '{ForwardDtype}'");
    }

    /// <summary>The rules that involve the dataset-derived keys (seq_len, task).</summary>
    protected virtual void CheckDataset()
    {
        Require(Positions != PositionEncoding.Rope2d || GridSide > 0, $"pos_encodings rope2d needs a square grid, but seq_len {SeqLen} is not a square");
        Require(!RelPosBias || GridSide > 0, $"rel_pos_bias needs a square grid, but seq_len {SeqLen} is not a square");
        Require(GridConv == 0 || GridSide > 0, $"grid_conv needs a square grid, but seq_len {SeqLen} is not a square");
        Require(Task is null || Hrm.Tasks.TaskRegistry.Find(Task) is not null, $"task must be {Hrm.Tasks.TaskRegistry.NamesText()}, not '{Task}'");
    }
}

/// <summary>
/// The HRM architecture (the reference's <c>HierarchicalReasoningModel_ACTV1Config</c>): a high-level module of
/// H_layers blocks and a low-level module of L_layers blocks, H_cycles x L_cycles steps per segment.
/// </summary>
public sealed record HrmConfig : ModelConfig
{
    /// <summary>0 (the reference): only the last L and H update of a segment get a gradient; k: the last k H cycles do.</summary>
    [ConfigKey("HRM gradient depth: 0 = the one-step gradient; k = the last k H cycles.", Ours = true, Rule = "0..H_cycles")]
    [JsonPropertyName("grad_h_cycles")] public int GradHCycles { get; init; }

    [JsonIgnore] public override Architecture Architecture => Architecture.Hrm;
    public override RecurrentCore BuildCore(torch.Generator? generator) => new HrmInner(this, generator);
    [JsonIgnore] public override int BlocksPerSegment => HCycles * LCycles * LLayers + HCycles * HLayers;
    [JsonIgnore] public override int GradientBlocksPerSegment => GradHCycles == 0 ? LLayers + HLayers : GradHCycles * (LCycles * LLayers + HLayers);

    protected override void CheckArch()
    {
        base.CheckArch();
        Require(HLayers >= 1, "H_layers must be >= 1");
        // The reference HRM knows rope and learned only; "none" is ours, and only beside a token mixer that is not
        // attention (grid_conv, cell_groups), which gives the cells their places by itself.
        bool mixer = GridConv > 0 || CellGroups != "";
        Require(Positions is PositionEncoding.Rope or PositionEncoding.Learned or PositionEncoding.Rope2d || (PosEncodings == "none" && mixer),
            $"pos_encodings must be rope, learned or rope2d (or none beside grid_conv or cell_groups), not '{PosEncodings}'");
        Require(GradHCycles >= 0 && GradHCycles <= HCycles, $"grad_h_cycles must be in 0..H_cycles ({HCycles}), got {GradHCycles}");
    }
}
