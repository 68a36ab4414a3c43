using System.CommandLine;
using Hrm.Evaluation;
using Hrm.Training;
using Spectre.Console;

namespace Hrm.Cli.Commands;

/// <summary>`hrm train`: a training run from a preset or config file, with live progress, logs and checkpoints.</summary>
public static class TrainCommand
{
    public static Command Build()
    {
        var preset = new Option<string?>("--preset") { Description = "A preset from configs/ (e.g. sudoku4-cpu, sudoku-extreme-1k); see `hrm train --list-presets`." };
        var config = new Option<string?>("--config") { Description = "A training config JSON file (format of configs/*.json)." };
        var set = new Option<string[]>("--set") { Description = "Override a config key: --set lr=3e-4 --set arch.hidden_size=128 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var data = new Option<string?>("--data") { Description = "Dataset directory (from `hrm data ...`); default for a preset with a data recipe: build it into RUN/data." };
        var outDir = new Option<string?>("--out") { Description = "Run folder: config, metrics.jsonl, tensorboard/, checkpoints/." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder from its latest checkpoint (optimizer state, step, schedule, data order)." };
        var list = new Option<bool>("--list-presets") { Description = "List the presets and exit." };
        var initFrom = new Option<string?>("--init-from") { Description = "Start a new run from these weights (ours, or the authors' step_N / checkpoint folder; weights only, no optimiser state). Without --preset/--config the config beside them is used: their all_config.yaml or our train_config.json." };
        var cmd = new Command("train", """
            Train HRM on a dataset directory.
            Examples:
              hrm data sudoku --out data/sudoku4 --size 4 --train 3000 --test 500
              hrm train --preset sudoku4-cpu --data data/sudoku4 --out runs/sudoku4
              hrm train --preset sudoku4-cpu --out runs/sudoku4      (builds the preset's own data into runs/sudoku4/data)
              hrm train --config my.json --set lr=3e-4 --set arch.H_cycles=3 --data data/sudoku4 --out runs/x
              hrm train --resume runs/sudoku4
              hrm train --init-from export/sudoku4/continued --data data/sudoku4 --out runs/sudoku4-more
            """) { preset, config, set, data, outDir, resume, list, initFrom };
        cmd.SetAction((parse, cancel) =>
        {
            if (parse.GetValue(list))
            {
                foreach (var (name, description) in Presets.List()) Console.WriteLine($"{name,-24} {description}");
                return Task.FromResult(0);
            }
            string dataDir;
            TrainingRun run;
            var init = parse.GetValue(initFrom);
            if (init is not null && parse.GetValue(resume) is not null) throw new HrmException("--init-from starts a new run; --resume continues one: give one of them");
            if (parse.GetValue(resume) is string r)
            {
                run = TrainingRun.Resume(r, parse.GetValue(set));
                dataDir = parse.GetValue(data) ?? run.Config.DataPath ?? throw new HrmException($"{run.Folder.TrainConfigPath}: no data_path; pass --data");
            }
            else
            {
                var p = parse.GetValue(preset);
                var c = parse.GetValue(config);
                if (p is not null && c is not null) throw new HrmException("give exactly one of --preset NAME or --config FILE");
                if (p is null && c is null && init is null) throw new HrmException("give exactly one of --preset NAME or --config FILE");
                var cfg = p is null && c is null ? TrainingRun.ConfigBeside(init!, parse.GetValue(set)) : TrainConfig.Load(p is not null ? Presets.Path(p) : c!, parse.GetValue(set));
                run = TrainingRun.New(cfg, parse.GetValue(outDir) ?? throw new HrmException("--out RUN is required"), init);
                dataDir = parse.GetValue(data) ?? cfg.DataPath
                    ?? (cfg.DataRecipe is not null ? PresetData.Build(cfg, run.Folder) : throw new HrmException("--data DIR is required (this config has no data_recipe to build its own)"));
            }
            var result = Run(run, dataDir, cancel);
            return Task.FromResult(result.Stopped && cancel.IsCancellationRequested ? 130 : 0);
        });
        return cmd;
    }

    /// <summary>Trains <paramref name="run"/> with console progress; Ctrl-C checkpoints and exits cleanly.</summary>
    public static TrainResult Run(TrainingRun run, string dataDir, CancellationToken cancel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        ConsoleCancelEventHandler handler = (_, e) => { e.Cancel = true; cts.Cancel(); AnsiConsole.MarkupLine("[yellow]stopping: writing a checkpoint...[/]"); };
        Console.CancelKeyPress += handler;
        try
        {
            var result = run.Train(dataDir, new ConsoleObserver(), cts.Token);
            AnsiConsole.MarkupLine($"[green]done[/]: {result.Steps} steps in {Clock(result.Elapsed)}; checkpoint {Markup.Escape(result.LastCheckpoint ?? "-")}");
            return result;
        }
        finally { Console.CancelKeyPress -= handler; }
    }

    /// <summary>hh:mm:ss with the hours counted past a day (a TimeSpan's "hh" wraps at 24).</summary>
    static string Clock(TimeSpan t) => $"{(long)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}";

    sealed class ConsoleObserver : ITrainingObserver
    {
        public void OnInfo(string message) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(message)}[/]");

        public void OnWarning(string message) => AnsiConsole.MarkupLine($"[yellow]warning: {Markup.Escape(message)}[/]");

        public void OnStep(TrainProgress p) => AnsiConsole.MarkupLine(
            $"step [bold]{p.Step,6}[/]/{p.TotalSteps} | {p.StepsPerSecond:F2} seg/s {p.ExamplesPerSecond,6:F0} ex/s | loss {p.LmLoss:F3} " +
            $"q {p.QHaltLoss:F3}/{p.QContinueLoss:F3} | tok {p.TokenAccuracy:P1} exact [bold]{p.ExactAccuracy:P1}[/] | steps {p.MeanSteps:F2} | lr {p.Lr:E2} | " +
            $"{Clock(p.Elapsed)} ETA {(p.Eta is TimeSpan eta ? Clock(eta) : "-")}");

        public void OnEvaluation(EvalReport r)
        {
            AnsiConsole.Write(Common.MetricsTable(r.Sets, $"evaluation at step {r.Step}{(r.Final ? " (final)" : "")}"));
        }

        public void OnCheckpoint(string path) => AnsiConsole.MarkupLine($"[grey]checkpoint {Markup.Escape(path)}[/]");
    }
}

/// <summary>Training presets shipped in configs/ (copied next to the program at build time).</summary>
public static class Presets
{
    public static string Directory
    {
        get
        {
            var beside = System.IO.Path.Combine(AppContext.BaseDirectory, "configs");
            return System.IO.Directory.Exists(beside) ? beside : System.IO.Path.Combine(Environment.CurrentDirectory, "configs");
        }
    }

    public static string Path(string name)
    {
        var p = System.IO.Path.Combine(Directory, name.EndsWith(".json") ? name : name + ".json");
        if (!File.Exists(p))
            throw new HrmException($"unknown preset '{name}' (known: {string.Join(", ", List().Select(x => x.Name))})");
        return p;
    }

    public static IEnumerable<(string Name, string Description)> List() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "*.json").OrderBy(f => f).Select(f =>
              {
                  var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(f));
                  return (System.IO.Path.GetFileNameWithoutExtension(f), node?["description"]?.GetValue<string>() ?? "");
              })
            : [];
}
