using System.CommandLine;
using Hrm.Evaluation;
using Hrm.Model;
using Spectre.Console;
using static TorchSharp.torch;

namespace Hrm.Cli.Commands;

/// <summary>Options shared by several commands.</summary>
public static class Common
{
    /// <summary>What --checkpoint accepts (ModelStore.Resolve).</summary>
    public const string CheckpointHelp = "A run folder (its latest checkpoint), a checkpoint folder, a weights file with config.json beside it, " +
        "or the authors' step_N (or their checkpoint folder) with all_config.yaml beside it (its dataset: --data, else the one it names).";

    public static Option<int> ThreadsOption() => new("--threads") { Description = "Intra-op CPU threads (default: one per core).", DefaultValueFactory = _ => 0 };

    /// <summary>--dtype of eval and serve: the activations' dtype at inference (the weights stay float32).</summary>
    public static Option<string?> InferenceDtypeOption() => new("--dtype")
    {
        Description = "float32, bfloat16 or auto (a probe of this model's no-gradient segment at the inference batch picks bfloat16 only where it is native and faster by a margin). Default: the checkpoint's forward_dtype.",
    };

    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "cpu or cuda (cuda needs the CUDA build: dotnet build -p:HrmTorchBackend=cuda).",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>--early-exit, --halt-rule and --halt-threshold, shared by eval and solve.</summary>
    public sealed record HaltOptions(Option<bool> EarlyExit, Option<string?> Rule, Option<double> Threshold)
    {
        public static HaltOptions Create() => new(
            new Option<bool>("--early-exit") { Description = "Stop each puzzle at its first segment with q_halt > q_continue (the model's own ACT decision; same as --halt-rule q)." },
            new Option<string?>("--halt-rule") { Description = "When a puzzle stops: full (every segment), q (q_halt > q_continue), confident (sigmoid(q_halt) >= --halt-threshold: the Q head predicts its answer is correct), stable (the answer equals the previous segment's). Default: the model's own, its config's inference_halt (full unless the model sets it; training's evaluations always run full)." },
            new Option<double>("--halt-threshold") { Description = "Probability for --halt-rule confident.", DefaultValueFactory = _ => 0.9 });

        /// <summary>The rule asked for, or null when neither --halt-rule nor --early-exit was given (the solver then takes
        /// the model's own).</summary>
        public HaltPolicy? Asked(ParseResult parse) =>
            parse.GetValue(Rule) is null && !parse.GetValue(EarlyExit) ? null : Parse(parse);

        /// <summary>The rule asked for; without --halt-rule or --early-exit, the model's own (its inference_halt, "full"
        /// unless its config says otherwise) where <paramref name="model"/> is given, else the full budget.</summary>
        public HaltPolicy Parse(ParseResult parse, ModelConfig? model = null)
        {
            var text = parse.GetValue(Rule);
            bool early = parse.GetValue(EarlyExit);
            var rule = text is null ? (early ? HaltRule.QValues : model is null ? HaltRule.Full : HaltPolicy.For(model).Rule) : HaltPolicy.ParseRule(text);
            if (early && rule != HaltRule.QValues) throw new HrmException($"--early-exit means --halt-rule q; it cannot go with --halt-rule {text}");
            return new HaltPolicy(rule, parse.GetValue(Threshold)).Validate();
        }
    }

    /// <summary>--samples, --noise, --perturb, --sample-seed and --select: test-time search, shared by eval, solve, trace,
    /// viz and analyze scaling.</summary>
    public sealed record SearchOptionSet(Option<int> Samples, Option<double> Noise, Option<string> Perturb, Option<int> Seed, Option<string?> Select)
    {
        public static SearchOptionSet Create() => new(
            new Option<int>("--samples") { Description = "Test-time search: K trajectories per puzzle (and per --tta view), run as rows of one batch; trajectory 0 is the plain run, the others start from (or are pushed by) seeded Gaussian noise. 1 = the plain run.", DefaultValueFactory = _ => 1 },
            new Option<double>("--noise") { Description = $"Scale of the search's Gaussian noise, in units of the state's RMS (default {SearchOptions.DefaultNoise}).", DefaultValueFactory = _ => SearchOptions.DefaultNoise },
            new Option<string>("--perturb") { Description = $"Where the sampled trajectories are perturbed: init (the starting z_H, z_L), segment (after every segment) or both (default {SearchOptions.Name(SearchOptions.DefaultPerturbation)}).", DefaultValueFactory = _ => SearchOptions.Name(SearchOptions.DefaultPerturbation) },
            new Option<int>("--sample-seed") { Description = "Seed of the search's noise: the same seed gives the same candidates and the same choice.", DefaultValueFactory = _ => 0 },
            new Option<string?>("--select") { Description = "How search picks the answer: halt (highest final sigmoid(q_halt), the model's own judgement; default), vote (most frequent answer, ties by q_halt), check (the best-q candidate the task's checker accepts, else halt)." });

        public IEnumerable<Option> All => [Samples, Noise, Perturb, Seed, Select];

        /// <summary>The search, or null for the plain run (one sample and no --select).</summary>
        public SearchOptions? Parse(ParseResult parse, int views = 1)
        {
            int k = parse.GetValue(Samples);
            if (k < 1) throw new HrmException($"--samples must be >= 1, got {k}");
            if (k > SearchOptions.MaxSamples) throw new HrmException($"--samples must be <= {SearchOptions.MaxSamples}, got {k}");
            double noise = parse.GetValue(Noise);
            if (!(noise >= 0) || double.IsInfinity(noise)) throw new HrmException($"--noise must be a finite number >= 0, got {noise}");
            var perturb = SearchOptions.ParsePerturbation(parse.GetValue(Perturb)!);
            var select = parse.GetValue(Select) is string text ? SearchOptions.ParseSelect(text) : (SelectRule?)null;
            // Nothing asked for: the plain run (or, for solve and serve, the model's own default search). An explicit
            // --samples 1 asks for the plain run even where the model has a default.
            bool given = parse.GetResult(Samples) is { Implicit: false } || select is not null;
            if (!given) return null;
            return new SearchOptions
            {
                Samples = k, Noise = noise, Perturb = perturb, Seed = parse.GetValue(Seed), Select = select ?? SelectRule.Halt, Views = Math.Max(views, 1),
            }.Validate();
        }
    }

    /// <summary>Progress of a long evaluation on stderr: a line every 10 s (and none for sets done sooner).</summary>
    public static Action<string, int, int> EvalProgress()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        string? current = null;
        return (set, done, total) =>
        {
            if (set != current) { current = set; clock.Restart(); last = TimeSpan.Zero; }
            var now = clock.Elapsed;
            if (now - last < TimeSpan.FromSeconds(10)) return;
            last = now;
            double left = done > 0 ? now.TotalSeconds * (total - done) / done : 0;
            Console.Error.WriteLine($"eval {set}: {done}/{total} puzzles ({100.0 * done / Math.Max(total, 1):F0}%), {now.TotalSeconds:F0} s, about {left:F0} s left");
        };
    }

    /// <summary>Adds an option or argument to a command.</summary>
    public static void Add(Command cmd, Symbol symbol)
    {
        if (symbol is Option o) cmd.Options.Add(o);
        else if (symbol is Argument a) cmd.Arguments.Add(a);
    }

    public static void SetThreads(int threads)
    {
        if (threads < 0) throw new HrmException("--threads must be >= 0");
        Hrm.Runtime.TorchRuntime.Configure(threads);
    }

    /// <summary>The per-set evaluation table shown by train, eval and quickstart.</summary>
    public static Table MetricsTable(IReadOnlyDictionary<string, SetMetrics> sets, string? title = null)
    {
        var table = new Table();
        if (title is not null) table.Title(title);
        foreach (var col in new[] { "set", "count", "exact", "valid", "token acc", "mean segments", "q_halt acc", "puzzles/s" }) table.AddColumn(col);
        foreach (var (name, m) in sets)
            table.AddRow(name, m.Count.ToString(), $"{m.ExactAccuracy:P2}", m.ValidAccuracy is double v ? $"{v:P2}" : "-", $"{m.TokenAccuracy:P2}",
                $"{m.MeanSegments:F2}", $"{m.QHaltAccuracy:P1}", $"{m.PuzzlesPerSecond:F0}");
        return table;
    }
}
