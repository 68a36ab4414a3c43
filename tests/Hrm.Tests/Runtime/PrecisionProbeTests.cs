using System.Text.Json;
using Hrm.Runtime;
using Hrm.Tests.Cli;
using static TorchSharp.torch;

namespace Hrm.Tests.Runtime;

public sealed class PrecisionProbeTests
{
    [Theory]
    [InlineData(false, 10.0, 1.0, "float32")]   // not native: never bfloat16, however the timing looks
    [InlineData(true, 10.0, 5.0, "bfloat16")]   // native and 2x faster
    [InlineData(true, 10.0, 9.5, "float32")]    // native but within the noise margin
    [InlineData(true, 10.0, 20.0, "float32")]   // native but slower
    public void Auto_picks_bfloat16_only_where_native_and_faster(bool native, double fp32, double bf16, string expected) =>
        Assert.Equal(expected, PrecisionProbe.Decide(native, fp32, bf16));

    [Fact]
    public void Explicit_dtypes_are_kept_and_bad_names_refused()
    {
        var cpu = new Device("cpu");
        var f = PrecisionProbe.Resolve("float32", cpu);
        Assert.Equal("float32", f.Dtype);
        Assert.Null(f.Float32Ms);   // no probe for float32
        Assert.Contains("auto", Assert.Throws<HrmException>(() => PrecisionProbe.Resolve("fp16", cpu)).Message);
    }

    /// <summary>On this machine: auto logs its choice with the probe's timings; bfloat16 is picked only if native.
    /// (The development machine has no native bfloat16, so there this checks the float32 branch and the warning.)</summary>
    [Fact]
    public void Auto_and_explicit_bfloat16_on_this_machine()
    {
        var cpu = new Device("cpu");
        var logged = new List<string>();
        var auto = PrecisionProbe.Resolve("auto", cpu, logged.Add);
        Assert.Equal(PrecisionProbe.Decide(CpuFeatures.HasNativeBf16, auto.Float32Ms!.Value, auto.BFloat16Ms!.Value), auto.Dtype);
        Assert.StartsWith("forward_dtype auto: " + auto.Dtype, Assert.Single(logged));
        if (!CpuFeatures.HasNativeBf16)
        {
            Assert.Equal("float32", auto.Dtype);
            var bf = PrecisionProbe.Resolve("bfloat16", cpu, logged.Add);
            Assert.Equal("bfloat16", bf.Dtype);   // explicit is respected
            Assert.Contains("slower than float32", bf.Warning);
            PrecisionProbe.Resolve("bfloat16", cpu, logged.Add);
            Assert.True(logged.Count <= 2, "the warning is logged at most once per process");
        }
    }

    [Fact]
    public void Bench_train_accepts_dtype_auto_and_names_the_dtype_that_ran()
    {
        using var tmp = new TempDirectory();
        var json = tmp.File("b.json");
        CliHarness.Ok("bench", "train", "--config", Path.Combine(TestPaths.RepoRoot, "configs", "bench", "sudoku4-h64.json"),
            "--batch", "8", "--steps", "1", "--warmup", "0", "--threads", "1", "--dtype", "auto", "--json", json);
        var r = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal("auto", r.GetProperty("dtype_requested").GetString());
        var ran = r.GetProperty("dtype").GetString();
        Assert.Equal(PrecisionProbe.Resolve("auto", new Device("cpu")).Dtype, ran);
        if (!CpuFeatures.HasNativeBf16) Assert.Equal("float32", ran);
    }

    [Fact]
    public void Training_with_auto_logs_the_choice_and_checkpoints_the_dtype_that_ran()
    {
        using var tmp = new TempDirectory();
        var data = Path.Combine(tmp.Path, "d");
        CliHarness.Ok("data", "sudoku", "--size", "4", "--train", "50", "--test", "10", "--out", data, "--quiet");
        var run = Path.Combine(tmp.Path, "r");
        var r = CliHarness.Ok("train", "--preset", "tiny-test", "--data", data, "--out", run, "--set", "arch.forward_dtype=auto", "--set", "max_steps=2");
        var ran = PrecisionProbe.Resolve("auto", new Device("cpu")).Dtype;
        Assert.Contains("forward_dtype auto: " + ran, r.Out);
        var saved = Directory.GetFiles(run, "*.json", SearchOption.AllDirectories)
            .Where(f => f.Contains("step_")).Select(File.ReadAllText).ToList();
        Assert.Contains(saved, json => json.Contains($"\"forward_dtype\": \"{ran}\""));
        Assert.DoesNotContain(saved, json => json.Contains("\"forward_dtype\": \"auto\"") && !json.Contains("\"arch\""));
    }
}
