using System.CommandLine;
using Hrm.Evaluation;
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
            new Option<bool>("--early-exit") { Description = "Stop each puzzle at its first segment with q_halt > q_continue (the model's own ACT decision; same as --halt-rule q). Default: run every segment, as the reference evaluates." },
            new Option<string?>("--halt-rule") { Description = "When a puzzle stops: full (every segment), q (q_halt > q_continue), confident (sigmoid(q_halt) >= --halt-threshold: the Q head predicts its answer is correct), stable (the answer equals the previous segment's)." },
            new Option<double>("--halt-threshold") { Description = "Probability for --halt-rule confident.", DefaultValueFactory = _ => 0.9 });

        public HaltPolicy Parse(ParseResult parse)
        {
            var text = parse.GetValue(Rule);
            bool early = parse.GetValue(EarlyExit);
            var rule = text is null ? (early ? HaltRule.QValues : HaltRule.Full) : HaltPolicy.ParseRule(text);
            if (early && rule != HaltRule.QValues) throw new HrmException($"--early-exit means --halt-rule q; it cannot go with --halt-rule {text}");
            return new HaltPolicy(rule, parse.GetValue(Threshold)).Validate();
        }
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
