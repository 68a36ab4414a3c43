using Hrm.Interop;
using Hrm.Model;
using Hrm.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Model;

/// <summary>The reference's transformer baseline (Model_ACTV2) through the seam: names, shapes, halting, learning.</summary>
public class TransformerBaselineTests
{
    static TransformerConfig Small(string extra = "") => (TransformerConfig)ConfigJson.Parse(
        "{\"name\": \"recursive_reasoning.transformers_baseline@Model_ACTV2\", \"seq_len\": 16, \"vocab_size\": 6, \"hidden_size\": 16, " +
        "\"num_heads\": 2, \"H_layers\": 2, \"H_cycles\": 1, \"puzzle_emb_ndim\": 16, \"batch_size\": 4, \"forward_dtype\": \"float32\"" +
        (extra.Contains("halt_max_steps") ? "" : ", \"halt_max_steps\": 3") + extra + "}", "test");

    [Fact]
    public void State_dict_names_shapes_and_determinism_follow_the_reference()
    {
        using var model = new ActModel(Small(), new Generator(7));
        var names = ReferenceNames.Export(model).Keys.Select(k => k["_orig_mod.model.inner.".Length..]).OrderBy(s => s).ToList();
        var expected = new List<string> { "H_init", "embed_tokens.embedding_weight", "lm_head.weight", "q_head.weight", "q_head.bias", "puzzle_emb.weights" };
        for (int i = 0; i < 2; i++)
            expected.AddRange(new[] { "self_attn.qkv_proj", "self_attn.o_proj", "mlp.gate_up_proj", "mlp.down_proj" }.Select(n => $"H_level.layers.{i}.{n}.weight"));
        Assert.Equal(expected.OrderBy(s => s), names);   // no L_init, no L_level: the carry is z_H alone

        using var scope = NewDisposeScope();
        var inputs = randint(0, 6, [4, 16], generator: new Generator(1));
        var ids = zeros(4, ScalarType.Int64);
        var seg = model.inner.forward(model.inner.InitialCarry(4), inputs, ids);
        Assert.Equal(new long[] { 4, 16, 6 }, seg.Logits.shape);
        Assert.Equal(new long[] { 4, 17, 16 }, seg.Carry.ZH.shape);
        using var again = new ActModel(Small(), new Generator(7));
        Assert.Equal(0f, (again.inner.forward(again.inner.InitialCarry(4), inputs, ids).Logits - seg.Logits).abs().max().item<float>());
        Assert.Equal(2, Small().BlocksPerSegment);
    }

    [Fact]
    public void Training_halts_on_q_halt_above_q_continue_without_a_target_and_act_flags_switch_it()
    {
        using var scope = NewDisposeScope();
        var batch = new Hrm.Model.PuzzleBatch(randint(0, 6, [4, 16], generator: new Generator(2)), randint(1, 6, [4, 16], generator: new Generator(3)), zeros(4, ScalarType.Int64));
        // act_inference is carried for the authors' code only: in evaluation the inference loop's halting rule decides.
        foreach (var (extra, train, expectHalt) in new[] { ("", true, true), (", \"act_enabled\": false", true, false), ("", false, false), (", \"act_inference\": true", false, false) })
        {
            using var model = new ActModel(Small(extra + ", \"halt_exploration_prob\": 0"), new Generator(1));
            using (no_grad()) { model.inner.q_head.bias![0] = 3f; }   // q_halt 3 > q_continue -5: halt wherever halting is on
            if (train) model.train(); else model.eval();
            var (carry, output) = model.forward(model.InitialCarry(batch), batch, new Generator(5));
            Assert.Null(output.TargetQContinue);
            Assert.Equal(expectHalt, carry.Halted.all().item<bool>());
        }
    }

    [Fact]
    public void Bad_options_are_clear_errors()
    {
        Assert.Contains("pos_encodings must be rope or learned", Assert.Throws<HrmException>(() => Small(", \"pos_encodings\": \"none\"")).Message);
        Assert.Contains("unknown config key 'mlp_t'", Assert.Throws<HrmException>(() => Small(", \"mlp_t\": true")).Message);
    }

    [Fact]
    public void A_tiny_baseline_lowers_its_loss()
    {
        using var model = new ActModel(Small(", \"halt_max_steps\": 1"), new Generator(1));
        using var state = new TrainState(model, new OptimizerSettings { Lr = 3e-3, LrWarmupSteps = 0 }, 60, new Generator(2));
        using var scope = NewDisposeScope();
        // A fixed mapping to learn: label = (input + 1) mod 5 + 1.
        var inputs = randint(0, 6, [4, 16], generator: new Generator(3));
        var batch = new Hrm.Model.PuzzleBatch(inputs, (inputs + 1).remainder(5) + 1, zeros(4, ScalarType.Int64));
        double first = state.TrainBatch(batch)!.ToMetrics().LmLoss, last = first;
        for (int i = 0; i < 59; i++) last = state.TrainBatch(batch)!.ToMetrics().LmLoss;
        Assert.True(last < 0.5 * first, $"lm_loss {first:F3} -> {last:F3}");
    }
}
