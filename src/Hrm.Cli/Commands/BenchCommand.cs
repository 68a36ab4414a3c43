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
        var preset = new Option<string?>("--preset") { Description = "A preset from configs/ (as `hrm train --preset`): its arch at the shape of its data recipe." };
        var config = new Option<string?>("--config") { Description = "A training config JSON (as `hrm train --config`; keys the bench has no use for are ignored) or a model config JSON (reference field names with seq_len and vocab_size, as in the parity fixtures)." };
        var set = new Option<string[]>("--set") { Description = "Override a key of a training config: --set arch.hidden_size=128 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var batch = new Option<int?>("--batch") { Description = "Batch size (default: a training config's global_batch_size, else 64)." };
        var dtype = new Option<string?>("--dtype") { Description = "float32, bfloat16 or auto (a probe of this model's own step picks bfloat16 only where it is native and faster by a margin; default: the config's forward_dtype). The JSON's dtype is the one that ran." };
        var steps = new Option<int>("--steps") { Description = "Timed steps (after the warm-up steps).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps.", DefaultValueFactory = _ => 2 };
        var json = new Option<string?>("--json") { Description = "Also write the results to this JSON file." };
        var seqLen = new Option<int?>("--seq-len") { Description = "Override the config's seq_len." };
        var micro = new Option<int?>("--micro-batch") { Description = "train: run each batch in row chunks of this size (gradient accumulation, less memory; default: a training config's micro_batch_size)." };
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();
        var cmd = new Command(mode, description) { preset, config, set, batch, dtype, steps, warmup, json, seqLen, micro, threads, device };
        cmd.SetAction(parse =>
        {
            var p = parse.GetValue(preset);
            var c = parse.GetValue(config);
            if ((p is null) == (c is null)) throw new HrmException("give exactly one of --preset NAME or --config FILE");
            if (parse.GetValue(batch) is < 1) throw new HrmException("--batch must be >= 1");
            if (parse.GetValue(micro) is < 1) throw new HrmException("--micro-batch must be >= 1");
            int n = parse.GetValue(steps), w = parse.GetValue(warmup);
            if (n < 1 || w < 0) throw new HrmException("--steps must be >= 1 and --warmup >= 0");
            var requestedDtype = parse.GetValue(dtype) is string d ? PrecisionProbe.Check(d) : null;
            Common.SetThreads(parse.GetValue(threads));
            var dev = TorchRuntime.ParseDevice(parse.GetValue(device)!);
            var (cfg, defaultBatch, defaultMicro) = LoadModel(p is not null ? Presets.Path(p) : c!, parse.GetValue(set) ?? []);
            int b = parse.GetValue(batch) ?? defaultBatch;
            int? microBatch = parse.GetValue(micro) ?? defaultMicro;
            cfg = cfg with { BatchSize = b };
            if (parse.GetValue(seqLen) is int sl) cfg = cfg with { SeqLen = sl };
            cfg = cfg.Validate();
            // auto resolves here on this model's own step at this batch (both timings logged); an explicit bfloat16
            // that is emulated on this CPU warns.
            var requested = requestedDtype ?? cfg.ForwardDtype;
            var precision = mode == "train"
                ? ModelPrecision.ForTraining(requested, cfg, dev, microBatch, log: Console.Error.WriteLine)
                : ModelPrecision.ForInference(requested, cfg, b, dev, log: Console.Error.WriteLine);
            cfg = (cfg with { ForwardDtype = precision.Dtype }).Validate();
            var result = Run(mode, cfg, b, n, w, dev, microBatch);
            result["dtype_requested"] = precision.Requested;
            if (precision.Float32Ms is double pf && precision.BFloat16Ms is double pb)
            {
                result["probe_float32_ms"] = pf;
                result["probe_bfloat16_ms"] = pb;
                result["bf16_probe_speedup"] = precision.Bf16Speedup!.Value;   // the median of the paired rounds' ratios
            }
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

    /// <summary>
    /// The model a config file describes, with the batch and micro-batch it names: a training config (an "arch"
    /// object, as `hrm train` reads; training keys are not used) gets seq_len, vocab_size and num_puzzle_identifiers
    /// from its arch where given, else from the task and size of its data_recipe (no dataset is read); a model config
    /// (reference field names) is used as it is, at batch 64.
    /// </summary>
    public static (ModelConfig Config, int Batch, int? MicroBatch) LoadModel(string path, IReadOnlyList<string> overrides)
    {
        if (!File.Exists(path)) throw new HrmException($"{path}: config file not found");
        bool training;
        try
        {
            training = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions
                { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) is System.Text.Json.Nodes.JsonObject o && o.ContainsKey("arch");
        }
        catch (JsonException e) { throw new HrmException($"{path}: invalid JSON: {e.Message.Split('\n')[0]}"); }
        if (!training)
        {
            if (overrides.Count > 0) throw new HrmException($"{path}: --set needs a training config (one with an \"arch\" object); edit a model config directly");
            return (ConfigJson.Load(path), 64, null);
        }
        var train = TrainConfig.Load(path, overrides);
        var arch = (System.Text.Json.Nodes.JsonObject)train.Arch.DeepClone();
        if (!arch.ContainsKey("seq_len") || !arch.ContainsKey("vocab_size"))
        {
            var (seq, vocab, task) = RecipeShape(train.DataRecipe, path);
            arch["seq_len"] ??= seq;
            arch["vocab_size"] ??= vocab;
            arch["task"] ??= task;
        }
        arch["num_puzzle_identifiers"] ??= 1;
        arch["batch_size"] = train.GlobalBatchSize;
        return (ConfigJson.Parse(arch.ToJsonString(), path, keyPrefix: "arch."), train.GlobalBatchSize, train.MicroBatchSize);
    }

    /// <summary>The (seq_len, vocab_size, task) of the data a recipe builds: the `hrm data` command it names, parsed as
    /// that command parses it (its --size and defaults), and the task registry's shape for that size.</summary>
    public static (int SeqLen, int VocabSize, string Task) RecipeShape(string? recipe, string source)
    {
        if (recipe is null)
            throw new HrmException($"{source}: no data_recipe and no arch.seq_len/arch.vocab_size: the bench cannot tell the puzzle shape " +
                                   "without data; add --set arch.seq_len=N --set arch.vocab_size=V");
        var args = PresetData.Arguments(recipe, 0, Path.Combine(Path.GetTempPath(), "hrm-bench-unused"));
        var parse = CommandRegistry.Root().Parse(args);
        if (parse.Errors.Count > 0) throw new HrmException($"{source}: data_recipe: {parse.Errors[0].Message.Split('\n')[0].Trim()}");
        var kind = Hrm.Tasks.TaskRegistry.Find(parse.CommandResult.Command.Name)
            ?? throw new HrmException($"{source}: data_recipe: `hrm data {parse.CommandResult.Command.Name}` builds no task the bench knows the shape of");
        // --size is one side (Sudoku) or a list of them (mazes: the model's own size is the smallest).
        var sizeOption = parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == "--size");
        int side = sizeOption is null ? 0
            : sizeOption.ValueType == typeof(int) ? parse.GetValue<int>("--size")
            : Hrm.Tasks.GridSize.ParseSides(parse.GetValue<string>("--size")!, "data_recipe --size")[0];
        try
        {
            var task = kind.Create(side * side);
            return (task.SeqLen, task.VocabSize, task.Name);
        }
        catch (HrmException e) { throw e.Within("data_recipe").At(source); }
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
        var times = new List<double>();
        long parameters;
        if (mode == "train")
        {
            using var work = new TrainStepWork(cfg, b, dev, microBatch);
            parameters = work.Model.parameters().Sum(p => p.numel());
            for (int i = 0; i < warmup + steps; i++)
            {
                var sw = Stopwatch.StartNew();
                work.Run();
                if (i >= warmup) times.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        else
        {
            // Timed through the library's inference loop (full budget, no early exit): one entry per segment.
            using var model = new ActModel(cfg, new Generator(0));
            model.to(dev);
            parameters = model.parameters().Sum(p => p.numel());
            var rng = new Generator(1);
            using var scope = NewDisposeScope();
            var inputs = randint(1, cfg.VocabSize, [b, cfg.SeqLen], generator: rng, dtype: int64).to(dev);
            var ids = randint(0, cfg.NumPuzzleIdentifiers, [b], generator: rng, dtype: int64).to(dev);
            var timer = new SegmentTimer();
            Inference.Run(model, inputs, ids, HaltPolicy.Full, warmup + steps, timer);
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
            ["params"] = parameters,
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
