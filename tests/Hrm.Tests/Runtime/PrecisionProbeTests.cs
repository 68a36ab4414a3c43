using System.Text.Json;
using Hrm.Interop;
using Hrm.Runtime;
using Hrm.Tests.Cli;
using Hrm.Training;
using static TorchSharp.torch;

namespace Hrm.Tests.Runtime;

public sealed class PrecisionProbeTests
{
    /// <summary>The rule with given paired rounds (ms; round i timed both dtypes back to back): native, at least two
    /// rounds, bfloat16 faster in every round, and the median of the rounds' float32/bfloat16 ratios at least 1.2.</summary>
    [Theory]
    [InlineData(false, "10 10 10", "1 1 1", "float32")]       // not native: never bfloat16, however the timing looks
    [InlineData(true, "10 10 10", "5 5 5", "bfloat16")]       // native and 2x faster in every round
    [InlineData(true, "10 11", "6 7", "bfloat16")]            // two rounds are enough
    [InlineData(true, "10", "5", "float32")]                  // one round cannot rule out luck
    [InlineData(true, "10 10 10", "9 9 9", "float32")]        // faster, but within the 1.2x margin
    [InlineData(true, "10 10 10", "8.3 8.3 8.3", "bfloat16")] // just past the margin
    [InlineData(true, "10 20 10", "5 15 5", "bfloat16")]      // a loaded round slows both of its pair: ratios 2, 1.33, 2
    [InlineData(true, "10 10 10", "5 11 5", "float32")]       // one round the other way
    [InlineData(true, "30 10 10", "20 9 9", "float32")]       // ratios 1.5, 1.11, 1.11: median 1.11
    [InlineData(true, "10 10 10", "20 20 20", "float32")]     // slower
    [InlineData(true, "10 10", "0 5", "float32")]             // a broken timing is no evidence
    public void The_rule_picks_bfloat16_only_where_native_and_faster_by_a_margin(bool native, string fp32, string bf16, string expected) =>
        Assert.Equal(expected, PrecisionProbe.Decide(native, Ms(fp32), Ms(bf16)));

    static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");

    static double[] Ms(string text) => text.Split(' ').Select(x => double.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>A stand-in for a model's step: sleeps a fixed time, counts how often it was built.</summary>
    [Theory]
    [InlineData("float32", Hrm.Model.ForwardDtypeSetting.Float32, ScalarType.Float32)]
    [InlineData("bfloat16", Hrm.Model.ForwardDtypeSetting.BFloat16, ScalarType.BFloat16)]
    [InlineData("auto", Hrm.Model.ForwardDtypeSetting.Auto, ScalarType.Float32)]   // unresolved auto builds float32
    public void Forward_dtype_string_has_one_typed_view(string name, Hrm.Model.ForwardDtypeSetting setting, ScalarType scalar)
    {
        var c = new Hrm.Model.HrmConfig { ForwardDtype = name };
        Assert.Equal(setting, c.ForwardDtypeSetting);
        Assert.Equal(scalar, c.ForwardScalarType);
        Assert.Contains("forward_dtype must be float32, bfloat16 or auto, not 'half'",
            Assert.Throws<HrmException>(() => (c with { ForwardDtype = "half" }).ForwardScalarType).Message);
    }

    sealed class FakeWork(int ms) : ITimedWork
    {
        public void Run() => Thread.Sleep(ms);
        public void Dispose() { }
    }

    [Fact]
    public void Explicit_dtypes_are_kept_without_a_probe_and_bad_names_refused()
    {
        int built = 0;
        Func<ScalarType, ITimedWork> work = _ => { built++; return new FakeWork(1); };
        Assert.Equal("float32", PrecisionProbe.Resolve("float32", true, "k", "training step", work).Dtype);
        var logged = new List<string>();
        var bf = PrecisionProbe.Resolve("bfloat16", false, "k", "training step", work, log: logged.Add);
        Assert.Equal("bfloat16", bf.Dtype);   // explicit is respected, with a warning where it is emulated
        Assert.Contains("emulated", Assert.Single(logged));
        Assert.Equal(0, built);
        Assert.Contains("auto", Assert.Throws<HrmException>(() => PrecisionProbe.Resolve("fp16", true, "k", "training step", work)).Message);
    }

    [Fact]
    public void Auto_without_native_bfloat16_is_float32_at_once()
    {
        int built = 0;
        var logged = new List<string>();
        var choice = PrecisionProbe.Resolve("auto", false, "k", "training step", _ => { built++; return new FakeWork(1); }, log: logged.Add);
        Assert.Equal("float32", choice.Dtype);
        Assert.Equal(0, built);
        Assert.Contains("no native bfloat16", Assert.Single(logged));
    }

    /// <summary>A measured decision is written to the cache file and read back for the same key (a resume), without
    /// building or timing anything; another key (another shape, batch or machine) is measured again.</summary>
    [Fact]
    public void A_cached_decision_is_reused_for_the_same_key()
    {
        using var tmp = new TempDirectory();
        var cache = tmp.File(RunFolder.PrecisionFile);
        int built = 0;
        Func<ScalarType, ITimedWork> work = dt => { built++; return new FakeWork(dt == ScalarType.BFloat16 ? 4 : 20); };
        var logged = new List<string>();
        var first = PrecisionProbe.Resolve("auto", true, "machine A | shape 1", "training step", work, cache, logged.Add);
        Assert.Equal("bfloat16", first.Dtype);
        Assert.Equal("measured", first.Source);
        Assert.True(first.Float32Rounds.Count >= PrecisionProbe.MinRounds);
        Assert.Contains("ms float32", logged[^1]);
        Assert.Contains("ms bfloat16", logged[^1]);
        Assert.Equal(2, built);

        var again = PrecisionProbe.Resolve("auto", true, "machine A | shape 1", "training step", work, cache, logged.Add);
        Assert.Equal(2, built);   // not probed again
        Assert.Equal(("cached", "bfloat16"), (again.Source, again.Dtype));
        Assert.Equal(first.Float32Rounds.Select(x => Math.Round(x, 3)), again.Float32Rounds);
        Assert.Contains("decided earlier", logged[^1]);

        var other = PrecisionProbe.Resolve("auto", true, "machine A | shape 2", "training step", _ => { built++; return new FakeWork(5); }, cache);
        Assert.Equal(4, built);
        Assert.Equal("float32", other.Dtype);   // equal times: not faster
        var entries = JsonDocument.Parse(File.ReadAllText(cache)).RootElement.GetProperty("decisions");
        Assert.Equal(2, entries.GetArrayLength());
    }

    [Fact]
    public void An_unreadable_cache_is_measured_again()
    {
        using var tmp = new TempDirectory();
        var cache = tmp.File(RunFolder.PrecisionFile);
        File.WriteAllText(cache, "{ not json");
        int built = 0;
        var choice = PrecisionProbe.Resolve("auto", true, "k", "training step", _ => { built++; return new FakeWork(2); }, cache);
        Assert.Equal(("measured", 2), (choice.Source, built));
        Assert.Equal("float32", JsonDocument.Parse(File.ReadAllText(cache)).RootElement.GetProperty("decisions")[0].GetProperty("dtype").GetString());
    }

    [Fact]
    public void Bench_train_accepts_dtype_auto_and_names_the_dtype_that_ran()
    {
        using var tmp = new TempDirectory();
        var json = tmp.File("b.json");
        var r = CliHarness.Ok("bench", "train", "--preset", "tiny-test", "--batch", "8", "--steps", "1", "--warmup", "0", "--threads", "1", "--dtype", "auto", "--json", json);
        var result = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal("auto", result.GetProperty("dtype_requested").GetString());
        var ran = result.GetProperty("dtype").GetString();
        Assert.Contains("forward_dtype auto: " + ran, r.Error);
        if (!CpuFeatures.HasNativeBf16) Assert.Equal("float32", ran);
        else
        {
            // Both timings of the model's own step are in the JSON.
            Assert.True(result.GetProperty("probe_float32_ms").GetDouble() > 0);
            Assert.True(result.GetProperty("probe_bfloat16_ms").GetDouble() > 0);
        }
    }

    /// <summary>The trainer decides once per run folder: a resume reads RUN/precision.json back instead of probing
    /// (here a planted decision with timings no probe would give shows that it was read). Where bfloat16 is not native
    /// there is nothing to decide: float32 at once.</summary>
    [Fact]
    public void Training_with_auto_decides_once_and_a_resume_reuses_the_decision()
    {
        using var tmp = new TempDirectory();
        var data = Path.Combine(tmp.Path, "d");
        CliHarness.Ok("data", "sudoku", "--size", "4", "--train", "50", "--test", "10", "--out", data, "--quiet");
        var run = Path.Combine(tmp.Path, "r");
        var r = CliHarness.Ok("train", "--preset", "tiny-test", "--data", data, "--out", run, "--set", "arch.forward_dtype=auto", "--set", "max_steps=2", "--set", "threads=1");
        var ran = Flat(r.Out).Contains("forward_dtype auto: bfloat16") ? "bfloat16" : "float32";
        Assert.Contains("forward_dtype auto: " + ran, Flat(r.Out));
        var saved = Directory.GetFiles(run, "*.json", SearchOption.AllDirectories).Where(f => f.Contains("step_")).Select(File.ReadAllText).ToList();
        Assert.Contains(saved, json => json.Contains($"\"forward_dtype\": \"{ran}\""));
        Assert.DoesNotContain(saved, json => json.Contains("\"forward_dtype\": \"auto\"") && !json.Contains("\"arch\""));
        // eval decides for itself on the inference shape (a no-gradient segment at its batch), and says so on stderr.
        var ev = CliHarness.Ok("eval", "--checkpoint", run, "--data", data, "--dtype", "auto", "--batch", "8", "--threads", "1");
        Assert.Contains("forward_dtype auto: ", ev.Error);
        Assert.Contains(CpuFeatures.HasNativeBf16 ? "inference segment" : "no probe", ev.Error);
        CliHarness.Ok("eval", "--checkpoint", run, "--data", data, "--dtype", "float32", "--batch", "8");
        CliHarness.Fails("forward_dtype must be one of", "eval", "--checkpoint", run, "--data", data, "--dtype", "fp16");
        CliHarness.Fails("forward_dtype must be one of", "serve", "--checkpoint", run, "--dtype", "half");
        var cache = new RunFolder(run).PrecisionPath;
        if (!CpuFeatures.HasNativeBf16)
        {
            Assert.Equal("float32", ran);
            Assert.False(File.Exists(cache));
            return;
        }
        // Plant timings that no probe gives (for the same dtype, which the checkpoint holds): the resume must show them.
        var doc = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(cache))!;
        var entry = Assert.Single(doc["decisions"]!.AsArray())!;
        Assert.Equal(ran, entry["dtype"]!.GetValue<string>());
        entry["float32_round_ms"] = new System.Text.Json.Nodes.JsonArray(1234.5, 1234.5);
        entry["bfloat16_round_ms"] = ran == "bfloat16" ? new System.Text.Json.Nodes.JsonArray(617.25, 617.25) : new System.Text.Json.Nodes.JsonArray(2469.0, 2469.0);
        File.WriteAllText(cache, doc.ToJsonString());
        var resumed = Flat(CliHarness.Ok("train", "--resume", run, "--set", "max_steps=4").Out);
        Assert.Contains($"forward_dtype auto: {ran}", resumed);
        Assert.Contains("1234.5 ms float32", resumed);
        Assert.Contains("decided earlier", resumed);
    }
}
