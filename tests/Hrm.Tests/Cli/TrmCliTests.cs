using System.Text.Json;
using Hrm.Data;
using Hrm.Interop;
using Hrm.Model;
using static TorchSharp.torch;
using Xunit.Abstractions;

namespace Hrm.Tests.Cli;

/// <summary>
/// Every command works for TRM: a tiny TRM run (the trm-sudoku4-cpu preset, shrunk, with EMA) trained through the CLI,
/// then eval, solve and predict on it; predict and bench with a TRM parity fixture's config.json.
/// </summary>
public sealed class TrmCliTests(ITestOutputHelper log) : IDisposable
{
    readonly TempDirectory tmp = new();
    const string Puzzle4 = "1..4..2..3..4..1";

    public void Dispose() => tmp.Dispose();

    [Fact]
    public void A_tiny_trm_trains_with_ema_and_eval_solve_predict_run_on_it()
    {
        var data = Path.Combine(tmp.Path, "s4");
        var run = Path.Combine(tmp.Path, "run");
        CliHarness.Ok("data", "sudoku", "--size", "4", "--train", "100", "--test", "20", "--out", data, "--quiet");
        var train = CliHarness.Ok("train", "--preset", "trm-sudoku4-cpu", "--data", data, "--out", run, "--set", "threads=1",
            "--set", "max_steps=12", "--set", "global_batch_size=16", "--set", "eval_every_steps=6", "--set", "checkpoint_every_steps=6",
            "--set", "arch.hidden_size=32", "--set", "arch.halt_max_steps=2", "--set", "ema_rate=0.5");
        Assert.Contains("done: 12 steps", train.Out);
        Assert.Contains("model: trm", train.Out);

        // The checkpoint's model file holds the EMA parameters and live buffers; the optimizer file the raw weights and
        // the shadow, so that resuming is exact.
        var ck = Path.Combine(run, "checkpoints", "step_0000012");
        var model = StateDictIO.Load(Path.Combine(ck, "model.safetensors"));
        var opt = StateDictIO.Load(Path.Combine(ck, "optimizer.safetensors"));
        const string lm = "inner.lm_head.weight";
        Assert.Equal(0f, (model[ReferenceNames.ToReference(lm)] - opt["ema." + lm]).abs().max().item<float>());
        Assert.True((opt["raw." + lm] - opt["ema." + lm]).abs().max().item<float>() > 0, "raw and EMA weights should differ after 12 steps");
        Assert.Contains("\"name\": \"recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1\"", File.ReadAllText(Path.Combine(ck, "config.json")));

        var json = Path.Combine(tmp.Path, "eval.json");
        CliHarness.Ok("eval", "--checkpoint", run, "--data", data, "--json", json, "--threads", "1");
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal(20, doc.RootElement.GetProperty("all").GetProperty("count").GetInt32());
            Assert.Equal(2.0, doc.RootElement.GetProperty("all").GetProperty("mean_segments").GetDouble());
        }

        var solve = CliHarness.Ok("solve", "--checkpoint", run, Puzzle4, "--threads", "1");
        Assert.Contains("segments: 2 of 2", solve.Out);
        Assert.Matches("valid: (yes|no)", solve.Out);

        var test = PuzzleDatasetDirectory.ReadSet(data, "test", "all");
        var inputs = Path.Combine(tmp.Path, "inputs.npy");
        Npy.WriteInt32(inputs, test.Inputs.Take(3 * 16).ToArray(), [3, 16]);
        var outDir = Path.Combine(tmp.Path, "predict");
        CliHarness.Ok("predict", "--checkpoint", run, "--inputs", inputs, "--out", outDir, "--threads", "1");
        Assert.Equal(new long[] { 3, 16, 6 }, Npy.Read(Path.Combine(outDir, "logits_2.npy")).Shape);
    }

    [Theory]
    [InlineData("trm-att")]
    [InlineData("trm-mlp")]
    public void Predict_with_a_fixture_config_matches_the_reference(string name)
    {
        var dir = TestPaths.ParityFixture(name);
        var outDir = Path.Combine(tmp.Path, "out");
        CliHarness.Ok("predict", "--checkpoint", Path.Combine(dir, "weights.safetensors"), "--config", Path.Combine(dir, "config.json"),
            "--inputs", Path.Combine(dir, "inputs.npy"), "--puzzle-ids", Path.Combine(dir, "puzzle_identifiers.npy"), "--out", outDir, "--threads", "1");
        foreach (var stem in new[] { "logits", "q_halt", "q_continue" })
            for (int m = 1; m <= 3; m++)
            {
                var ours = Npy.Read(Path.Combine(outDir, $"{stem}_{m}.npy")).ToFloat32();
                var expected = Npy.Read(Path.Combine(dir, $"{stem}_{m}.npy")).ToFloat32();
                Assert.Equal(expected.Length, ours.Length);
                double max = ours.Zip(expected, (a, b) => (double)Math.Abs(a - b)).Max();
                log.WriteLine($"{name} predict {stem}_{m}: max |diff| = {max:E2}");
                Assert.True(max < 1e-4, $"{stem}_{m}: {max:E2}");
            }
    }

    [Fact]
    public void Bench_train_accepts_a_trm_config()
    {
        var r = CliHarness.Ok("bench", "train", "--config", Path.Combine(TestPaths.ParityFixture("trm-mlp"), "config.json"),
            "--batch", "4", "--steps", "1", "--warmup", "1", "--threads", "1");
        Assert.Contains("trm", r.Out);
    }
}
