using System.CommandLine;
using Hrm.Analysis;
using Hrm.Training;

namespace Hrm.Cli.Commands;

/// <summary>`hrm curve --run RUN [--run RUN ...] --out FILE.png`: held-out exact accuracy against training steps, read
/// from each run's metrics.jsonl (no model is loaded), one line per run.</summary>
public static class CurveCommand
{
    public static Command Build()
    {
        var runs = new Option<string[]>("--run") { Description = "A run folder (its metrics.jsonl); repeat for several runs.", Required = true, AllowMultipleArgumentsPerToken = false };
        var labels = new Option<string[]>("--label") { Description = "A legend label per --run, in order (default: the folder names)." };
        var set = new Option<string[]>("--set") { Description = "The evaluation set to plot; repeat for several (a run of several grid sizes names its sets 11x11, 15x15, ...): one line per run and set.", DefaultValueFactory = _ => ["all"], AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.OneOrMore };
        var title = new Option<string?>("--title") { Description = "The figure's title (default: the runs' names)." };
        var output = new Option<string>("--out") { Description = "The PNG to write.", Required = true };
        var cmd = new Command("curve", """
            Plot held-out exact accuracy against training steps for one or more runs, from their metrics.jsonl (the
            evaluations the trainer logged; nothing is re-evaluated).

            Examples:
              hrm curve --run runs/sudoku9 --out sudoku9.png
              hrm curve --run runs/a --run runs/b --label "lr 1e-3" --label "lr 3e-3" --out compare.png
              hrm curve --run runs/sizes --set 11x11 --set 15x15 --set 21x21 --out sizes.png
            """) { runs, labels, set, title, output };
        cmd.SetAction(parse =>
        {
            var dirs = parse.GetValue(runs)!;
            var names = parse.GetValue(labels) ?? [];
            if (names.Length != 0 && names.Length != dirs.Length)
                throw new HrmException($"--label given {names.Length} time(s) for {dirs.Length} --run(s): give one per run or none");
            var out_ = parse.GetValue(output)!;
            if (!out_.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new HrmException($"--out {out_}: expected a .png file");
            var sets = parse.GetValue(set) is { Length: > 0 } given ? given : ["all"];
            var curves = new List<(string Label, RunSummary Summary)>();
            for (int i = 0; i < dirs.Length; i++)
            {
                if (!Directory.Exists(dirs[i])) throw new HrmException($"{dirs[i]}: run folder not found");
                foreach (var name in sets)
                {
                    var summary = RunSummary.Read(dirs[i], name) ?? throw new HrmException($"{dirs[i]}: no metrics.jsonl");
                    if (summary.Curve.Count == 0) throw new HrmException($"{dirs[i]}: no evaluation of set '{name}' in metrics.jsonl");
                    var label = (names.Length > 0 ? names[i] : Path.GetFileName(Path.GetFullPath(dirs[i]).TrimEnd('/'))) + (sets.Length > 1 ? $" {name}" : "");
                    curves.Add((label, summary));
                    Console.WriteLine($"{label}: {summary.Curve.Count} evaluations, last {100 * summary.Curve[^1].ExactAccuracy:F1}% at step {summary.Curve[^1].Step}");
                }
            }
            Plot(out_, parse.GetValue(title) ?? string.Join(", ", curves.Select(c => c.Label)), curves);
            Console.WriteLine($"wrote {out_}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Held-out exact (%) against training steps, one line per run with an evaluation curve (`hrm curve` and
    /// the sweep's accuracy.png); false, and nothing written, when no run has one.</summary>
    public static bool Plot(string path, string title, IEnumerable<(string Label, RunSummary Summary)> runs)
    {
        var series = runs.Where(r => r.Summary.Curve.Count > 0)
            .Select(r => new LineSeries(r.Label, r.Summary.Curve.Select(p => (double)p.Step).ToList(),
                r.Summary.Curve.Select(p => 100 * p.ExactAccuracy).ToList()) { Markers = true })
            .ToList();
        if (series.Count == 0) return false;
        Plots.Lines(path, new Figure(title, "training step", "held-out exact accuracy (%)") { YRange = (0, 100) }, series);
        return true;
    }
}
