using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Hrm.Runtime;
using Hrm.Evaluation;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Cli.Commands;

/// <summary>
/// `hrm bench train|infer`: throughput on random data. train: one optimiser step = one ACT segment including the extra
/// Q-target forward; infer: one evaluation segment. Reports median and p90 ms, examples/s, analytic GFLOP and GFLOP/s.
/// </summary>
public static class BenchCommand
{
    public static Command Build()
    {
        var bench = new Command("bench", "Throughput benchmarks on random data (see bench/RESULTS.md).");
        bench.Subcommands.Add(Make("train", "Time optimiser steps (one ACT segment each, with the Q-target forward)."));
        bench.Subcommands.Add(Make("infer", "Time evaluation segments (no gradient)."));
        bench.Subcommands.Add(Matmul());
        return bench;
    }

    static Command Make(string mode, string description)
    {
        var config = new Option<string>("--config") { Description = "Model config JSON (reference field names, as in the parity fixtures or configs/).", Required = true };
        var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 64 };
        var dtype = new Option<string?>("--dtype") { Description = "float32, bfloat16 or auto (a short probe picks bfloat16 only where it is native and faster; default: the config's forward_dtype). The JSON's dtype is the one that ran." };
        var steps = new Option<int>("--steps") { Description = "Timed steps (after 2 warm-up steps).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps.", DefaultValueFactory = _ => 2 };
        var json = new Option<string?>("--json") { Description = "Also write the results to this JSON file." };
        var seqLen = new Option<int?>("--seq-len") { Description = "Override the config's seq_len." };
        var micro = new Option<int?>("--micro-batch") { Description = "train: run each batch in row chunks of this size (gradient accumulation, less memory)." };
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();
        var cmd = new Command(mode, description) { config, batch, dtype, steps, warmup, json, seqLen, micro, threads, device };
        cmd.SetAction(parse =>
        {
            Common.SetThreads(parse.GetValue(threads));
            var dev = TorchRuntime.ParseDevice(parse.GetValue(device)!);
            var cfg = ConfigJson.Load(parse.GetValue(config)!);
            int b = parse.GetValue(batch);
            if (b < 1) throw new HrmException("--batch must be >= 1");
            cfg = cfg with { BatchSize = b };
            // auto resolves here (logged); an explicit bfloat16 that is emulated on this CPU warns with the measured slowdown.
            var precision = PrecisionProbe.Resolve(parse.GetValue(dtype) ?? cfg.ForwardDtype, dev, Console.Error.WriteLine);
            cfg = cfg with { ForwardDtype = precision.Dtype };
            if (parse.GetValue(seqLen) is int sl) cfg = cfg with { SeqLen = sl };
            cfg = cfg.Validate();
            int n = parse.GetValue(steps), w = parse.GetValue(warmup);
            if (n < 1 || w < 0) throw new HrmException("--steps must be >= 1 and --warmup >= 0");
            var result = Run(mode, cfg, b, n, w, dev, parse.GetValue(micro));
            result["dtype_requested"] = precision.Requested;
            if (precision.Bf16Speedup is double speedup) result["bf16_probe_speedup"] = speedup;
            Console.WriteLine($"{mode} ({cfg.Architecture.Name}): hidden {cfg.HiddenSize}, heads {cfg.NumHeads}, {cfg.Shape}, " +
                              $"seq {cfg.SeqLen}+{cfg.PuzzleEmbLen}, batch {b}, {cfg.ForwardDtype}, {get_num_threads()} threads");
            Console.WriteLine($"  median {result["median_ms"]:F1} ms, p90 {result["p90_ms"]:F1} ms per {(mode == "train" ? "step" : "segment")}; " +
                              $"{result["examples_per_s"]:F1} examples/s; {result["gflop_per_step"]:F2} GFLOP/step = {result["gflops"]:F1} GFLOP/s; " +
                              $"{result["params"]:N0} parameters; peak RSS {result["peak_rss_mb"]:F0} MB");
            if (parse.GetValue(json) is string path)
            {
                AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The machine's measured matmul peak per dtype: the denominator of model FLOP utilisation.</summary>
    static Command Matmul()
    {
        var size = new Option<int>("--size") { Description = "Square matrix size.", DefaultValueFactory = _ => 2048 };
        var threads = Common.ThreadsOption();
        var cmd = new Command("matmul", "Measure the peak GFLOP/s of a large square matmul in float32 and bfloat16.") { size, threads };
        cmd.SetAction(parse =>
        {
            Common.SetThreads(parse.GetValue(threads));
            int n = parse.GetValue(size);
            foreach (var dt in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            {
                using var scope = NewDisposeScope();
                var a = randn(n, n).to(dt);
                a.mm(a);
                var times = new List<double>();
                for (int i = 0; i < 5; i++)
                {
                    var sw = Stopwatch.StartNew();
                    a.mm(a);
                    times.Add(sw.Elapsed.TotalSeconds);
                    if (sw.Elapsed.TotalSeconds > 10) break;   // emulated dtypes are very slow: one sample is enough
                }
                Console.WriteLine($"{dt}: {2.0 * n * n * n / times.Min() / 1e9:F1} GFLOP/s ({n}x{n}, {get_num_threads()} threads)");
            }
            return 0;
        });
        return cmd;
    }

    static Dictionary<string, object> Run(string mode, ModelConfig cfg, int b, int steps, int warmup, Device dev, int? microBatch)
    {
        var gen = new Generator(0);
        using var model = new ActModel(cfg, gen);
        model.to(dev);
        var rng = new Generator(1);
        PuzzleBatch RandomBatch() => new(
            randint(1, cfg.VocabSize, [b, cfg.SeqLen], generator: rng, dtype: int64).to(dev),
            randint(1, cfg.VocabSize, [b, cfg.SeqLen], generator: rng, dtype: int64).to(dev),
            randint(0, cfg.NumPuzzleIdentifiers, [b], generator: rng, dtype: int64).to(dev));
        var times = new List<double>();
        if (mode == "train")
        {
            using var state = new TrainState(model, new OptimizerSettings { LrWarmupSteps = 0 }, long.MaxValue, new Generator(2, dev)) { MicroBatchSize = microBatch };
            for (int i = 0; i < warmup + steps; i++)
            {
                using var scope = NewDisposeScope();
                var batch = RandomBatch();
                var sw = Stopwatch.StartNew();
                _ = state.TrainBatch(batch)!.ToMetrics();   // synchronises (matters on CUDA)
                if (i >= warmup) times.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        else
        {
            // Timed through the library's inference loop (full budget, no early exit): one entry per segment.
            using var scope = NewDisposeScope();
            var batch = RandomBatch();
            var timer = new SegmentTimer();
            Inference.Run(model, batch.Inputs, batch.PuzzleIds, HaltPolicy.Full, warmup + steps, timer);
            times.AddRange(timer.Milliseconds.Skip(warmup));
        }
        times.Sort();
        double median = times[times.Count / 2];
        if (times.Count % 2 == 0) median = (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        double p90 = times[Math.Min(times.Count - 1, (int)Math.Ceiling(0.9 * times.Count) - 1)];
        double flops = mode == "train" ? ModelCost.TrainStep(cfg, b) : ModelCost.InferenceSegment(cfg, b);
        return new Dictionary<string, object>
        {
            ["mode"] = mode, ["batch"] = b, ["dtype"] = cfg.ForwardDtype, ["threads"] = get_num_threads(), ["device"] = dev.ToString(),
            ["hidden_size"] = cfg.HiddenSize, ["num_heads"] = cfg.NumHeads, ["H_layers"] = cfg.HLayers, ["L_layers"] = cfg.LLayers,
            ["H_cycles"] = cfg.HCycles, ["L_cycles"] = cfg.LCycles, ["seq_len"] = cfg.SeqLen, ["puzzle_emb_len"] = cfg.PuzzleEmbLen,
            ["micro_batch"] = microBatch ?? b, ["steps"] = steps, ["median_ms"] = median, ["p90_ms"] = p90, ["examples_per_s"] = b / (median / 1000),
            ["gflop_per_step"] = flops / 1e9, ["gflops"] = flops / 1e9 / (median / 1000),
            ["params"] = model.parameters().Sum(p => p.numel()),
            ["peak_rss_mb"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0,
        };
    }

    /// <summary>Time between consecutive segment reports (the loop copies q values to the host each segment, which
    /// synchronises the device).</summary>
    sealed class SegmentTimer : IInferenceObserver
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        public List<double> Milliseconds { get; } = [];

        public void OnSegment(SegmentReport report)
        {
            Milliseconds.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
        }
    }
}
