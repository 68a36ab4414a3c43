using System.CommandLine;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Analysis;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Runtime;

namespace Hrm.Cli.Commands;

/// <summary>`hrm analyze residuals|pr|act|scaling|steps|puzzle-id`: the paper's analyses, each a CSV and a PNG.</summary>
public static class AnalyzeCommand
{
    public static Command Build()
    {
        var analyze = new Command("analyze", "The papers' analyses of a trained model: each writes a CSV with every number it plots and a PNG into --out (see docs/analysis.md).");
        analyze.Subcommands.Add(Make("residuals", "Forward residuals of zH and zL at every low-level step across all segments, mean and spread over N test puzzles (hierarchical convergence).",
            (a, model, set, outDir) => Analyses.Residuals(model, set, a.Count, a.MaxSteps, outDir)));
        analyze.Subcommands.Add(Make("pr", "Participation ratio of zH and zL states over N test puzzle trajectories, for the model and an untrained one of the same config, and against the number of puzzles sampled.",
            (a, model, set, outDir) => Analyses.ParticipationRatios(model, set, a.Count, a.Repeats, a.Seed, outDir)));
        analyze.Subcommands.Add(Scaling());
        analyze.Subcommands.Add(Make("puzzle-id", "Accuracy with the true puzzle identifier, the blank one and a random one (models with puzzle embeddings).",
            (a, model, set, outDir) => Analyses.PuzzleIdentifier(model, set, a.Count, a.Seed, outDir)));
        analyze.Subcommands.Add(Act());
        analyze.Subcommands.Add(Steps());
        return analyze;
    }

    sealed record Args(int Count, int? MaxSteps, int Repeats, int Seed, IReadOnlyList<int>? Samples = null, SearchOptions? Search = null);

    /// <summary>`analyze scaling`: the segment budget axis, and with --samples the samples axis beside it.</summary>
    static Command Scaling()
    {
        var search = Common.SearchOptionSet.Create();
        var samplesList = new Option<string?>("--samples") { Description = "Also spend the compute on trajectories: K values such as 1,2,4,8,16 (each K runs the trained budget; every rule is scored); the plot puts both axes against the segments run per puzzle." };
        var cmd = Make("scaling", "Accuracy against the test-time segment budget (1 .. 2 x the training budget by default), fixed and with ACT halting; with --samples 1,2,4,..,K also against the number of trajectories (test-time search), both against the segments run per puzzle.",
            (a, model, set, outDir) => a.Samples is { } ks ? Analyses.ScalingWithSamples(model, set, a.MaxSteps, a.Count, ks, a.Search!, outDir)
                : Analyses.Scaling(model, set, a.MaxSteps, a.Count, outDir),
            parse =>
            {
                if (parse.GetValue(samplesList) is not string text) return (null, null);
                var ks = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(t => int.TryParse(t, out var k) && k >= 1 && k <= SearchOptions.MaxSamples ? k
                        : throw new HrmException($"--samples must be a comma-separated list of counts 1..{SearchOptions.MaxSamples}, got '{text}'"))
                    .Distinct().ToList();
                if (ks.Count == 0) throw new HrmException($"--samples must list at least one count, got '{text}'");
                double noise = parse.GetValue(search.Noise);
                if (!(noise >= 0) || double.IsInfinity(noise)) throw new HrmException($"--noise must be a finite number >= 0, got {noise}");
                var options = new SearchOptions
                {
                    Samples = ks.Max(), Noise = noise, Perturb = SearchOptions.ParsePerturbation(parse.GetValue(search.Perturb)!),
                    Seed = parse.GetValue(search.Seed),
                    Select = parse.GetValue(search.Select) is string rule ? SearchOptions.ParseSelect(rule) : SelectRule.Halt,
                };
                return (ks, options.Validate());
            });
        cmd.Options.Add(samplesList);
        foreach (var o in search.All.Skip(1)) cmd.Options.Add(o);   // --samples here is a list
        return cmd;
    }

    sealed record Shared(Option<string?> Data, Option<string> Out, Option<int> Count, Option<int?> MaxSteps, Option<int> Repeats, Option<int> Seed,
        Option<int> Threads, Option<string> Device)
    {
        public static Shared Create(int defaultCount) => new(
            new Option<string?>("--data") { Description = "Dataset directory; its test split is used.", Required = true },
            new Option<string>("--out") { Description = "Output folder for the CSV and the PNG.", Required = true },
            new Option<int>("--count") { Description = "Test puzzles to use (the first N).", DefaultValueFactory = _ => defaultCount },
            new Option<int?>("--max-steps") { Description = "Segments to run (default: the model's halt_max_steps; scaling: twice that)." },
            new Option<int>("--repeats") { Description = "pr: random subsets per puzzle count.", DefaultValueFactory = _ => 5 },
            new Option<int>("--seed") { Description = "Seed (untrained model, subsets, random identifiers).", DefaultValueFactory = _ => 0 },
            Common.ThreadsOption(), Common.DeviceOption());

        public IEnumerable<Option> All => [Data, Out, Count, MaxSteps, Repeats, Seed, Threads, Device];

        public (PuzzleSet Set, string OutDir, Args Args, TorchSharp.torch.Device Device) Parse(ParseResult parse)
        {
            var a = new Args(parse.GetValue(Count), parse.GetValue(MaxSteps), parse.GetValue(Repeats), parse.GetValue(Seed));
            if (a.Count < 1) throw new HrmException("--count must be >= 1");
            if (a.MaxSteps is < 1) throw new HrmException("--max-steps must be >= 1");
            if (a.Repeats < 1) throw new HrmException("--repeats must be >= 1");
            Common.SetThreads(parse.GetValue(Threads));
            var dev = TorchRuntime.ParseDevice(parse.GetValue(Device)!);
            var dir = parse.GetValue(Data)!;
            if (!Directory.Exists(dir)) throw new HrmException($"{dir}: data directory not found");
            return (PuzzleSet.ReadAll(dir, "test")[0], parse.GetValue(Out)!, a, dev);
        }
    }

    static void Report(CsvTable table, string outDir, string name) =>
        Console.WriteLine($"wrote {Path.Combine(outDir, name + ".csv")} ({table.Rows.Count} rows) and {Path.Combine(outDir, name + ".png")}");

    static Command Make(string name, string description, Func<Args, ActModel, PuzzleSet, string, CsvTable> run,
        Func<ParseResult, (IReadOnlyList<int>? Samples, SearchOptions? Search)>? extra = null)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = Common.CheckpointHelp, Required = true };
        var shared = Shared.Create(name == "scaling" || name == "puzzle-id" ? 500 : 100);
        var cmd = new Command(name, description) { checkpoint };
        foreach (var o in shared.All) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var (set, outDir, a, dev) = shared.Parse(parse);
            if (extra is not null) { var (ks, so) = extra(parse); a = a with { Samples = ks, Search = so }; }
            using var models = new SizedModels(ModelStore.Load(parse.GetValue(checkpoint)!, device: dev, dataDir: parse.GetValue(shared.Data)));
            var model = Evaluator.Fit(models, set, parse.GetValue(shared.Data)!);
            var table = run(a, model, set, outDir);
            Console.WriteLine(table.ToString().TrimEnd().Split('\n').Length <= 25 ? table.ToString().TrimEnd() : $"{table.Rows.Count} rows");
            Report(table, outDir, name == "puzzle-id" ? "puzzle_id" : name);
            return 0;
        });
        return cmd;
    }

    static Command Act()
    {
        var checkpoints = new Option<string[]>("--checkpoint") { Description = "One or more run folders or checkpoints (e.g. runs trained with different halt_max_steps).", Required = true, AllowMultipleArgumentsPerToken = true };
        var shared = Shared.Create(500);
        var cmd = new Command("act", "ACT halting against a fixed number of segments: per run and budget 1..M, accuracy and mean segments used (the HRM paper's Figure 5 a/b).") { checkpoints };
        foreach (var o in shared.All) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var (set, outDir, a, dev) = shared.Parse(parse);
            var paths = parse.GetValue(checkpoints)!;
            var models = new List<(string, ActModel)>();
            var owners = new List<SizedModels>();
            try
            {
                foreach (var p in paths)
                {
                    var loaded = new SizedModels(ModelStore.Load(p, device: dev, dataDir: parse.GetValue(shared.Data)));
                    owners.Add(loaded);
                    models.Add((Path.GetFileName(Path.GetFullPath(p).TrimEnd('/')), Evaluator.Fit(loaded, set, parse.GetValue(shared.Data)!)));
                }
                var table = Analyses.Act(models, set, a.MaxSteps, a.Count, outDir);
                Report(table, outDir, "act");
            }
            finally { foreach (var o in owners) o.Dispose(); }
            return 0;
        });
        return cmd;
    }

    static Command Steps()
    {
        var run = new Option<string>("--run") { Description = "A run folder: every checkpoint in RUN/checkpoints is evaluated.", Required = true };
        var shared = Shared.Create(500);
        var cmd = new Command("steps", "Per-segment held-out accuracy over a run's training checkpoints (the step at which accuracy jumps).") { run };
        foreach (var o in shared.All) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var (set, outDir, a, dev) = shared.Parse(parse);
            var table = Analyses.Steps(parse.GetValue(run)!, set, a.Count, dev, outDir);
            Report(table, outDir, "steps");
            return 0;
        });
        return cmd;
    }
}
