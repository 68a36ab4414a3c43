using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hrm.Analysis;
using Hrm.Interop;
using Hrm.Training;
using Spectre.Console;

namespace Hrm.Cli.Commands;

/// <summary>
/// `hrm sweep`: a grid of trainings of one preset, each a child `hrm train` process on one thread, K at a time (default:
/// one per core), then one results table (CSV and Markdown) and one plot of held-out exact accuracy against steps.
/// </summary>
public static class SweepCommand
{
    public static Command Build()
    {
        var preset = new Option<string?>("--preset") { Description = "The preset to sweep (see `hrm train --list-presets`)." };
        var config = new Option<string?>("--config") { Description = "A training config JSON file instead of a preset." };
        var set = new Option<string[]>("--set") { Description = "A grid axis: --set lr=1e-3,3e-3 (one run per value; repeat for more axes, every combination runs). A single value is a fixed override for every run.", AllowMultipleArgumentsPerToken = false };
        var data = new Option<string?>("--data") { Description = "Dataset directory (from `hrm data ...`), as for `hrm train`; without it a preset with a data_recipe builds its own data once into OUT/data." };
        var outDir = new Option<string?>("--out") { Description = "Sweep folder: runs/NNN_SETTING/ (each a run folder with train.log), results.csv, results.md, accuracy.png." };
        var parallel = new Option<int>("--parallel") { Description = "Runs at a time, each on one thread (default: one per core).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var threads = new Option<int>("--threads-per-run") { Description = "Torch threads of each run (the config key threads).", DefaultValueFactory = _ => 1 };
        var cmd = new Command("sweep", """
            Train a grid of settings of one preset, K runs at a time on one thread each, and tabulate and plot the results.
            On a machine with C cores, C one-thread runs side by side do more experiments per hour than one C-thread run.
            Examples:
              hrm sweep --preset tiny-test --data data/sudoku4 --set lr=1e-3,3e-3 --set max_steps=10 --out sweeps/lr --parallel 2
              hrm sweep --preset sudoku4-quickstart --data data/q --set lr=1e-3,2e-3 --set global_batch_size=32,64 --set max_minutes=2 --out sweeps/q
            """) { preset, config, set, data, outDir, parallel, threads };
        cmd.SetAction((parse, cancel) =>
        {
            var p = parse.GetValue(preset);
            var c = parse.GetValue(config);
            if ((p is null) == (c is null)) throw new HrmException("give exactly one of --preset NAME or --config FILE");
            var configPath = p is not null ? Presets.Path(p) : c!;
            var dir = parse.GetValue(outDir) ?? throw new HrmException("--out DIR is required");
            int k = parse.GetValue(parallel), t = parse.GetValue(threads);
            if (k < 1) throw new HrmException("--parallel must be >= 1");
            if (t < 1) throw new HrmException("--threads-per-run must be >= 1");
            var options = new SweepOptions(p, configPath, parse.GetValue(data), dir, SweepGrid.ParseAxes(parse.GetValue(set) ?? []), k, t);
            var runs = Run(options, cancel);
            return Task.FromResult(cancel.IsCancellationRequested ? 130 : runs.All(r => r.ExitCode == 0) ? 0 : 1);
        });
        return cmd;
    }

    public sealed record SweepOptions(string? Preset, string ConfigPath, string? Data, string OutDir, IReadOnlyList<SweepAxis> Axes, int Parallel, int ThreadsPerRun);

    public static IReadOnlyList<SweepRun> Run(SweepOptions o, CancellationToken cancel)
    {
        var settings = SweepGrid.Expand(o.Axes);
        // Every setting is parsed and checked before anything starts: a bad key or value fails the sweep, not run 7.
        var configs = settings.Select(s => TrainConfig.Load(o.ConfigPath, [$"threads={o.ThreadsPerRun}", .. s.Overrides])).ToList();
        var outDir = Path.GetFullPath(o.OutDir);
        var runsDir = Path.Combine(outDir, "runs");
        if (Directory.Exists(runsDir) && Directory.EnumerateFileSystemEntries(runsDir).Any())
            throw new HrmException($"{o.OutDir} already holds a sweep (runs/): choose another --out");
        // As `hrm train`: --data, else the config's data_path, else the preset's own data (its data_recipe, built once
        // into OUT/data with the first setting's seed and shared by every run).
        var data = o.Data ?? configs.Select(c => c.DataPath).FirstOrDefault(d => d is not null)
                   ?? (configs[0].DataRecipe is not null ? PresetData.Build(configs[0], new RunFolder(outDir))
                       : throw new HrmException($"--data DIR is required ({o.Preset ?? o.ConfigPath} has no data_recipe to build its own)"));
        if (!Directory.Exists(data)) throw new HrmException($"{data}: data directory not found");
        data = Path.GetFullPath(data);
        try { Directory.CreateDirectory(runsDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HrmException($"{o.OutDir}: cannot create the sweep folder ({e.Message.Split('\n')[0].TrimEnd('.')})");
        }

        var (exe, prefix) = HrmExecutable();
        string name = o.Preset ?? Path.GetFileNameWithoutExtension(o.ConfigPath);
        AnsiConsole.MarkupLine($"sweep of [bold]{Markup.Escape(name)}[/]: {settings.Count} runs, {Math.Min(o.Parallel, settings.Count)} at a time, " +
                               $"{o.ThreadsPerRun} thread(s) each ({Environment.ProcessorCount} cores here); logs in {Markup.Escape(runsDir)}");
        var clock = Stopwatch.StartNew();
        var results = new SweepRun?[settings.Count];
        using var gate = new SemaphoreSlim(o.Parallel);
        var tasks = settings.Select((s, i) => Task.Run(async () =>
        {
            await gate.WaitAsync(CancellationToken.None);
            try
            {
                var label = s.Label(o.Axes);
                var runDir = Path.Combine(runsDir, s.FolderName(o.Axes, i));
                if (cancel.IsCancellationRequested) { results[i] = new SweepRun(s, label, runDir, 130, 0, null); return; }
                var args = new List<string>(prefix) { "train" };
                if (o.Preset is not null) args.AddRange(["--preset", o.Preset]); else args.AddRange(["--config", Path.GetFullPath(o.ConfigPath)]);
                args.AddRange(["--data", data, "--out", runDir, "--set", $"threads={o.ThreadsPerRun}"]);
                foreach (var ov in s.Overrides) args.AddRange(["--set", ov]);
                lock (gate) AnsiConsole.MarkupLine($"[grey]start[/] {i + 1}/{settings.Count}: {Markup.Escape(label)}");
                var (code, seconds) = await RunChild(exe, args, runDir, cancel);
                var summary = RunSummary.Read(runDir);
                results[i] = new SweepRun(s, label, runDir, code, seconds, summary);
                var f = summary?.Final;
                lock (gate) AnsiConsole.MarkupLine($"{(code == 0 ? "[green]done[/]" : $"[red]exit {code}[/]")} {i + 1}/{settings.Count}: {Markup.Escape(label)}: " +
                    $"{summary?.Steps ?? 0} steps, {seconds / 60:F2} min, held-out exact {(f is null ? "-" : f.ExactAccuracy.ToString("P1", CultureInfo.InvariantCulture))}");
            }
            finally { gate.Release(); }
        })).ToArray();
        Task.WaitAll(tasks);
        var runs = results.Select(r => r!).ToList();

        var header = new List<string>
        {
            $"config: {(o.Preset is not null ? $"preset `{o.Preset}`" : $"`{o.ConfigPath}`")}; data: `{data}`",
            $"grid: {string.Join("; ", o.Axes.Select(a => $"{a.Key} = {string.Join(", ", a.Values)}"))}",
            $"{runs.Count} runs, {Math.Min(o.Parallel, runs.Count)} at a time, {o.ThreadsPerRun} thread(s) each, on {Environment.ProcessorCount} cores; " +
            $"the sweep took {clock.Elapsed.TotalMinutes.ToString("F2", CultureInfo.InvariantCulture)} min",
            "minutes: the run's own training time (metrics.jsonl elapsed_s); held-out exact: its last evaluation of the test set",
        };
        foreach (var path in SweepReport.Write(outDir, runs, $"hrm sweep: {name}", header))
            AnsiConsole.MarkupLine($"wrote {Markup.Escape(path)}");
        return runs;
    }

    /// <summary>Runs one child `hrm train`, its stdout and stderr going to RUN/train.log; returns its exit code and wall time.
    /// On cancellation the child is stopped (a Ctrl-C in a terminal reaches it directly and it checkpoints first).</summary>
    static async Task<(int Code, double Seconds)> RunChild(string exe, IReadOnlyList<string> args, string runDir, CancellationToken cancel)
    {
        Directory.CreateDirectory(runDir);
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // One thread each also for OpenMP/MKL pools that read the environment before torch's own setting applies.
        psi.Environment["OMP_NUM_THREADS"] = "1";
        psi.Environment["MKL_NUM_THREADS"] = "1";
        var clock = Stopwatch.StartNew();
        using var log = AtomicFile.OpenAppend(Path.Combine(runDir, "train.log"), append: false, lines: true);
        log.AppendLine($"# {exe} {string.Join(' ', args.Select(a => a.Contains(' ') ? $"'{a}'" : a))}");
        using var child = new Process { StartInfo = psi };
        var gate = new object();
        // A log line that cannot be written (a full disk) is dropped, never half-written; the child's own writes report it.
        void Log(string? line)
        {
            if (line is null) return;
            lock (gate) try { log.AppendLine(line); } catch (WriteFailedException) { }
        }
        child.OutputDataReceived += (_, e) => Log(e.Data);
        child.ErrorDataReceived += (_, e) => Log(e.Data);
        try { child.Start(); }
        catch (System.ComponentModel.Win32Exception e) { throw new HrmException($"{exe}: cannot start a training process ({e.Message})"); }
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try { await child.WaitForExitAsync(cancel); }
        catch (OperationCanceledException)
        {
            try { child.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await child.WaitForExitAsync(CancellationToken.None);
        }
        child.WaitForExit();   // drains the output readers
        return (child.ExitCode, clock.Elapsed.TotalSeconds);
    }

    /// <summary>This program, to start `hrm train` with: its apphost beside Hrm.Cli.dll, else `dotnet Hrm.Cli.dll`.</summary>
    static (string Exe, IReadOnlyList<string> Prefix) HrmExecutable()
    {
        var dll = typeof(SweepCommand).Assembly.Location;
        var apphost = Path.ChangeExtension(dll, OperatingSystem.IsWindows() ? ".exe" : null);
        if (File.Exists(apphost)) return (apphost, []);
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH")
                   ?? (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath : null) ?? "dotnet";
        return (host!, [dll]);
    }
}

/// <summary>The sweep's outputs: results.csv, results.md and accuracy.png (held-out exact against steps per setting).</summary>
public static class SweepReport
{
    public const string CsvFile = "results.csv", MarkdownFile = "results.md", PlotFile = "accuracy.png";

    static string Percent(double x) => double.IsNaN(x) ? "-" : (100 * x).ToString("F1", CultureInfo.InvariantCulture) + "%";
    static string Minutes(double seconds) => (seconds / 60).ToString("F2", CultureInfo.InvariantCulture);

    public static CsvTable Table(IReadOnlyList<SweepRun> runs)
    {
        var table = new CsvTable("setting", "steps", "minutes", "held_out_exact", "held_out_token_accuracy", "held_out_count",
            "process_minutes", "exit_code", "run");
        foreach (var r in runs)
        {
            var f = r.Summary?.Final;
            table.Add(r.Label, r.Summary?.Steps ?? 0, Math.Round((r.Summary?.ElapsedSeconds ?? 0) / 60, 4), f?.ExactAccuracy ?? double.NaN,
                f?.TokenAccuracy ?? double.NaN, f?.Count ?? 0, Math.Round(r.ProcessSeconds / 60, 4), r.ExitCode, r.RunDir);
        }
        return table;
    }

    public static string Markdown(IReadOnlyList<SweepRun> runs, string title, IEnumerable<string> header)
    {
        var sb = new StringBuilder($"# {title}\n\n");
        foreach (var line in header) sb.Append($"- {line}\n");
        sb.Append("\n| setting | steps | minutes | held-out exact | token accuracy | held-out puzzles | status |\n|---|---:|---:|---:|---:|---:|---|\n");
        foreach (var r in runs)
        {
            var f = r.Summary?.Final;
            string status = r.ExitCode == 0 ? "done" : r.ExitCode == 130 ? "stopped" : $"failed (exit {r.ExitCode}, see {Path.GetFileName(r.RunDir)}/train.log)";
            sb.Append($"| {r.Label.Replace("|", "\\|")} | {r.Summary?.Steps ?? 0} | {Minutes(r.Summary?.ElapsedSeconds ?? 0)} | {Percent(f?.ExactAccuracy ?? double.NaN)} | " +
                      $"{Percent(f?.TokenAccuracy ?? double.NaN)} | {f?.Count ?? 0} | {status} |\n");
        }
        return sb.ToString();
    }

    /// <summary>Writes the CSV, the Markdown and the plot under <paramref name="dir"/>; the plot only when some run has an
    /// evaluation. Returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string dir, IReadOnlyList<SweepRun> runs, string title, IEnumerable<string> header)
    {
        var written = new List<string>();
        var csv = Path.Combine(dir, CsvFile);
        Table(runs).Write(csv);
        written.Add(csv);
        var md = Path.Combine(dir, MarkdownFile);
        AtomicFile.WriteAllText(md, Markdown(runs, title, header));
        written.Add(md);
        var png = Path.Combine(dir, PlotFile);
        if (CurveCommand.Plot(png, title, runs.Where(r => r.Summary is not null).Select(r => (r.Label, r.Summary!)))) written.Add(png);
        return written;
    }
}
