using Hrm.Data;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Model;

/// <summary>The TRM config and core beyond the parity fixtures: presets, options, errors, names, steps.</summary>
public class TrmTests
{
    /// <summary>A small TRM config; <paramref name="extra"/> (", key: value" pairs) overrides its fields.</summary>
    internal static TrmConfig Small(string extra = "")
    {
        var obj = System.Text.Json.Nodes.JsonNode.Parse(
            "{\"name\": \"recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1\", \"seq_len\": 16, \"vocab_size\": 6, \"hidden_size\": 16, " +
            "\"num_heads\": 2, \"H_layers\": 0, \"L_layers\": 2, \"H_cycles\": 2, \"L_cycles\": 3, \"puzzle_emb_ndim\": 16, \"batch_size\": 3, " +
            "\"forward_dtype\": \"float32\", \"halt_max_steps\": 3}")!.AsObject();
        foreach (var (k, v) in System.Text.Json.Nodes.JsonNode.Parse("{" + extra.TrimStart(',', ' ') + "}")!.AsObject().ToList())
            obj[k] = v?.DeepClone();
        return (TrmConfig)ConfigJson.Parse(obj.ToJsonString(), "test");
    }

    /// <summary>The reference's parameter counts for its four README runs (trm-reference.md, built from the authors' code).</summary>
    [Theory]
    [InlineData("trm-sudoku-extreme-mlp", 81, 11, 5_028_866)]
    [InlineData("trm-sudoku-extreme-att", 81, 11, 6_828_034)]
    [InlineData("trm-maze-hard", 900, 6, 6_822_914)]
    [InlineData("trm-arc-agi-1", 900, 12, 6_829_058)]
    public void Full_scale_presets_have_the_reference_parameter_counts(string preset, int seqLen, int vocab, long parameters)
    {
        var train = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", preset + ".json"));
        Assert.True(train.Ema);
        Assert.Equal(0.999, train.EmaRate);
        var config = train.ModelConfig(new DatasetMetadata(0, 0, 0, vocab, seqLen, 10, 1, 1, ["all"]));
        Assert.IsType<TrmConfig>(config);
        Assert.Equal(16, config.PuzzleEmbLen);
        using var model = new ActModel(config with { ForwardDtype = "float32" });
        Assert.Equal(parameters, model.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData("trm-sudoku4-cpu", 16, 6)]
    [InlineData("trm-sudoku6-cpu", 36, 8)]
    [InlineData("trm-maze-small-cpu", 81, 6)]
    [InlineData("maze-small-cpu", 81, 6)]
    [InlineData("maze11-cpu", 121, 6)]
    [InlineData("transformer-sudoku4-cpu", 16, 6)]
    public void Cpu_presets_build(string preset, int seqLen, int vocab)
    {
        var train = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", preset + ".json"));
        var config = train.ModelConfig(new DatasetMetadata(0, 0, 0, vocab, seqLen, 1, 1, 1, ["all"]));
        using var model = new ActModel(config);
        using var scope = NewDisposeScope();
        var seg = model.inner.forward(model.inner.InitialCarry(2), zeros(2, seqLen, ScalarType.Int64), zeros(2, ScalarType.Int64));
        Assert.Equal(new long[] { 2, seqLen, vocab }, seg.Logits.shape);
    }

    [Fact]
    public void Options_follow_the_reference_rules()
    {
        Assert.Equal(16, Small().PuzzleEmbLen);                                     // used as given when non-zero
        Assert.Equal(2, Small(", \"puzzle_emb_len\": 0, \"puzzle_emb_ndim\": 24").PuzzleEmbLen);   // 0: HRM's ceil rule
        Assert.Equal(PositionEncoding.None, Small(", \"pos_encodings\": \"nope\"").Positions);     // anything else means no positions
        Assert.Equal(PositionEncoding.Rope2d, Small(", \"pos_encodings\": \"rope2d\"").Positions);  // ours, as for HRM
        Assert.Equal(ActHalting.QHaltPositive, Small().Halting);
        Assert.Equal(ActHalting.QHaltAboveContinue, Small(", \"no_ACT_continue\": false").Halting);
        Assert.Equal(2 * 4 * 2, Small().BlocksPerSegment);
        Assert.Equal(4 * 2, Small().GradientBlocksPerSegment);
        // The mlp_t width rule applied to P+S = 32: round(4 * 32 * 2/3) = 85 -> 256.
        Assert.Equal(256, Small(", \"mlp_t\": true").MlpTIntermediate);
    }

    [Theory]
    [InlineData(", \"puzzle_emb_ndim\": 0", "puzzle_emb_ndim 0 requires puzzle_emb_len 0")]
    [InlineData(", \"puzzle_emb_ndim\": 300", "must fit in puzzle_emb_len x hidden_size")]
    [InlineData(", \"puzzle_emb_len\": -1", "puzzle_emb_len must be >= 0")]
    [InlineData(", \"mlp_t\": 1", "bad value for 'mlp_t'")]
    public void Bad_options_are_clear_errors(string extra, string message)
    {
        var e = Assert.Throws<HrmException>(() => Small(extra));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Theory]
    [InlineData(false, "rope")]
    [InlineData(true, "none")]
    [InlineData(false, "learned")]
    public void State_dict_names_are_the_references(bool mlpT, string pos)
    {
        var config = Small($", \"mlp_t\": {(mlpT ? "true" : "false")}, \"pos_encodings\": \"{pos}\"");
        using var model = new ActModel(config);
        var names = ReferenceNames.Export(model).Keys.Select(k => k["_orig_mod.model.inner.".Length..]).ToHashSet();
        var expected = new HashSet<string> { "H_init", "L_init", "embed_tokens.embedding_weight", "lm_head.weight", "q_head.weight", "q_head.bias", "puzzle_emb.weights" };
        if (pos == "learned") expected.Add("embed_pos.embedding_weight");
        for (int i = 0; i < 2; i++)
        {
            foreach (var n in mlpT ? new[] { "mlp_t.gate_up_proj", "mlp_t.down_proj" } : ["self_attn.qkv_proj", "self_attn.o_proj"])
                expected.Add($"L_level.layers.{i}.{n}.weight");
            expected.Add($"L_level.layers.{i}.mlp.gate_up_proj.weight");
            expected.Add($"L_level.layers.{i}.mlp.down_proj.weight");
        }
        Assert.Equal(expected.OrderBy(s => s), names.OrderBy(s => s));
        if (mlpT)
        {
            var sd = ReferenceNames.Export(model);
            Assert.Equal(new long[] { 2 * 256, 32 }, sd["_orig_mod.model.inner.L_level.layers.0.mlp_t.gate_up_proj.weight"].shape);
            Assert.Equal(new long[] { 32, 256 }, sd["_orig_mod.model.inner.L_level.layers.0.mlp_t.down_proj.weight"].shape);
        }
    }

    sealed class Steps : IStepObserver
    {
        public readonly List<(int, StepKind)> Seen = [];
        public void OnStep(in ReasoningStep s) => Seen.Add((s.Step, s.Kind));
    }

    [Fact]
    public void A_segment_reports_every_update_and_only_the_last_recursion_has_a_gradient()
    {
        var config = Small();
        using var model = new ActModel(config, new Generator(3));
        using var scope = NewDisposeScope();
        var inputs = randint(0, 6, [3, 16], generator: new Generator(4));
        var ids = zeros(3, ScalarType.Int64);
        var steps = new Steps();
        var carry = model.inner.InitialCarry(3);
        var seg = model.inner.forward(carry, inputs, ids, steps);
        // H_cycles 2 x (L_cycles 3 low updates + 1 high update), low steps counted from 1 within the segment.
        Assert.Equal([(1, StepKind.Low), (2, StepKind.Low), (3, StepKind.Low), (3, StepKind.High),
                      (4, StepKind.Low), (5, StepKind.Low), (6, StepKind.Low), (6, StepKind.High)], steps.Seen);
        Assert.Equal(new long[] { 3, 16, 6 }, seg.Logits.shape);
        Assert.Equal(new long[] { 3, 32, 16 }, seg.Carry.ZH.shape);

        // Backpropagating the logits reaches the token embedding through x in the gradient-carrying recursion.
        seg.Logits.sum().backward();
        Assert.True(model.inner.embed_tokens.embedding_weight.grad!.abs().sum().item<float>() > 0);

        // Same seed, same model, same outputs.
        using var again = new ActModel(config, new Generator(3));
        var seg2 = again.inner.forward(again.inner.InitialCarry(3), inputs, ids);
        Assert.Equal(0f, (seg.Logits - seg2.Logits).abs().max().item<float>());
    }

    [Fact]
    public void With_no_ACT_continue_false_training_bootstraps_a_Q_continue_target()
    {
        // The reference's own no_ACT_continue=False path is broken (docs/trm.md); ours is HRM's rule and target.
        using var scope = NewDisposeScope();
        foreach (var (extra, wantsTarget) in new[] { ("", false), (", \"no_ACT_continue\": false", true) })
        {
            using var model = new ActModel(Small(extra), new Generator(1));
            model.train();
            var batch = new PuzzleBatch(randint(0, 6, [3, 16], generator: new Generator(2)), randint(1, 6, [3, 16], generator: new Generator(3)), zeros(3, ScalarType.Int64));
            var (_, output) = model.forward(model.InitialCarry(batch), batch, new Generator(5));
            Assert.Equal(wantsTarget, output.TargetQContinue is not null);
        }
    }
}
