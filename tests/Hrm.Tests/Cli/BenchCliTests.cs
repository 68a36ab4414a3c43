using System.Text.Json;

namespace Hrm.Tests.Cli;

/// <summary>
/// `hrm bench train|infer` read the same files as `hrm train`: a preset or a training config (its arch at the shape of
/// its data recipe, no dataset needed; the training keys unused), and still a model config with the old flags.
/// </summary>
public sealed class BenchCliTests
{
    static JsonElement Bench(params string[] args)
    {
        using var tmp = new TempDirectory();
        var json = tmp.File("bench.json");
        CliHarness.Ok([.. args, "--steps", "1", "--warmup", "0", "--threads", "1", "--json", json]);
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement.Clone();
    }

    /// <summary>The shape comes from the preset's data recipe through the task registry: 4x4 and 9x9 Sudoku, 11x11 maze.</summary>
    [Theory]
    [InlineData("sudoku4-quickstart", 16, "hrm")]
    [InlineData("sudoku9-cpu", 81, "trm")]
    [InlineData("maze-hard-cpu", 121, "trm")]
    public void Bench_train_takes_a_preset(string preset, int seqLen, string arch)
    {
        var r = Bench("bench", "train", "--preset", preset, "--dtype", "float32", "--batch", "2");
        Assert.Equal(seqLen, r.GetProperty("seq_len").GetInt32());
        Assert.Equal("float32", r.GetProperty("dtype").GetString());
        Assert.Equal(2, r.GetProperty("batch").GetInt32());
        Assert.True(r.GetProperty("examples_per_s").GetDouble() > 0);
        Assert.Equal(arch == "hrm" ? 1 : 0, r.GetProperty("H_layers").GetInt32());
    }

    /// <summary>A training config file with description, data_recipe and training keys (the external check's
    /// `--config configs/sudoku4-quickstart.json`, which used to fail on 'description'); without --batch the batch
    /// is its global_batch_size.</summary>
    [Fact]
    public void Bench_train_and_infer_take_a_training_config()
    {
        var path = Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json");
        var r = Bench("bench", "train", "--config", path, "--dtype", "float32");
        Assert.Equal(16, r.GetProperty("seq_len").GetInt32());
        Assert.Equal(32, r.GetProperty("batch").GetInt32());   // tiny-test's global_batch_size
        var infer = Bench("bench", "infer", "--config", path, "--batch", "4", "--set", "arch.hidden_size=64");
        Assert.Equal(("infer", 64, 4), (infer.GetProperty("mode").GetString(), infer.GetProperty("hidden_size").GetInt32(), infer.GetProperty("batch").GetInt32()));
        Assert.Equal("float32", infer.GetProperty("dtype").GetString());   // tiny-test's own forward_dtype
    }

    /// <summary>The old form: a model config with seq_len and vocab_size, --seq-len and --micro-batch.</summary>
    [Fact]
    public void The_old_model_config_form_still_works()
    {
        using var tmp = new TempDirectory();
        var model = tmp.File("model.json");
        File.WriteAllText(model, """
            { "seq_len": 16, "vocab_size": 6, "num_puzzle_identifiers": 1, "puzzle_emb_ndim": 0,
              "hidden_size": 32, "num_heads": 2, "expansion": 2.0, "H_layers": 1, "L_layers": 1, "H_cycles": 1, "L_cycles": 1,
              "pos_encodings": "rope", "halt_max_steps": 2, "forward_dtype": "float32",
              "loss": { "name": "losses@ACTLossHead", "loss_type": "stablemax_cross_entropy" } }
            """);
        var r = Bench("bench", "train", "--config", model, "--batch", "4", "--micro-batch", "2");
        Assert.Equal((16, 4, 2), (r.GetProperty("seq_len").GetInt32(), r.GetProperty("batch").GetInt32(), r.GetProperty("micro_batch").GetInt32()));
        var wider = Bench("bench", "train", "--config", model, "--seq-len", "36");
        Assert.Equal((36, 64), (wider.GetProperty("seq_len").GetInt32(), wider.GetProperty("batch").GetInt32()));   // default batch 64
    }

    [Fact]
    public void Bad_bench_input_fails_with_one_line()
    {
        var preset = Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json");
        CliHarness.Fails("exactly one of --preset", "bench", "train", "--steps", "1");
        CliHarness.Fails("exactly one of --preset", "bench", "train", "--preset", "tiny-test", "--config", preset);
        CliHarness.Fails("unknown preset 'nope'", "bench", "train", "--preset", "nope");
        CliHarness.Fails("forward_dtype must be one of", "bench", "train", "--preset", "tiny-test", "--dtype", "fp16");
        CliHarness.Fails("--batch must be >= 1", "bench", "train", "--preset", "tiny-test", "--batch", "0");
        CliHarness.Fails("unknown config key", "bench", "train", "--preset", "tiny-test", "--set", "arch.hiden_size=8");
        // A paper preset has no data recipe: its shape must be given.
        CliHarness.Fails("--set arch.seq_len", "bench", "train", "--preset", "sudoku-extreme-1k");
        using var tmp = new TempDirectory();
        var model = tmp.File("model.json");
        File.WriteAllText(model, """{ "seq_len": 16, "vocab_size": 6, "hidden_size": 32, "num_heads": 2 }""");
        CliHarness.Fails("--set needs a training config", "bench", "train", "--config", model, "--set", "lr=1");
        var broken = tmp.File("broken.json");
        File.WriteAllText(broken, "{ \"arch\": ");
        CliHarness.Fails("invalid JSON", "bench", "train", "--config", broken);
        var recipe = tmp.File("recipe.json");
        File.WriteAllText(recipe, """{ "data_recipe": "sudoku --size 5", "arch": { "hidden_size": 32, "num_heads": 2 } }""");
        CliHarness.Fails("data_recipe", "bench", "train", "--config", recipe);
    }
}

/// <summary>`hrm quickstart --minutes` is the budget of the whole run; a budget that is no time at all is refused.</summary>
public sealed class QuickstartCliTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("NaN")]
    public void A_budget_that_is_not_positive_is_refused(string minutes)
    {
        using var tmp = new TempDirectory();
        CliHarness.Fails("--minutes must be a positive number", "quickstart", "--out", Path.Combine(tmp.Path, "q"), "--minutes", minutes);
    }
}
