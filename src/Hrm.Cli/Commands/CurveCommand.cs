using System.CommandLine;
using Hrm.Evaluation.Analysis;
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
        var set = new Option<string>("--set") { Description = "The evaluation set to plot.", DefaultValueFactory = _ => "all" };
        var title = new Option<string?>("--title") { Description = "The figure's title (default: the runs' names)." };
        var output = new Option<string>("--out") { Description = "The PNG to write.", Required = true };
        var cmd = new Command("curve", """
            Plot held-out exact accuracy against training steps for one or more runs, from their metrics.jsonl (the
            evaluations the trainer logged; nothing is re-evaluated).

            Examples:
              hrm curve --run runs/sudoku9 --out sudoku9.png
              hrm curve --run runs/a --run runs/b --label "lr 1e-3" --label "lr 3e-3" --out compare.png
            """) { runs, labels, set, title, output };
        cmd.SetAction(parse =>
        {
            var dirs = parse.GetValue(runs)!;
            var names = parse.GetValue(labels) ?? [];
            if (names.Length != 0 && names.Length != dirs.Length)
                throw new HrmException($"--label given {names.Length} time(s) for {dirs.Length} --run(s): give one per run or none");
            var out_ = parse.GetValue(output)!;
            if (!out_.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) throw new HrmException($"--out {out_}: expected a .png file");
            var series = new List<LineSeries>();
            for (int i = 0; i < dirs.Length; i++)
            {
                if (!Directory.Exists(dirs[i])) throw new HrmException($"{dirs[i]}: run folder not found");
                var summary = RunSummary.Read(dirs[i], parse.GetValue(set)!) ?? throw new HrmException($"{dirs[i]}: no metrics.jsonl");
                if (summary.Curve.Count == 0) throw new HrmException($"{dirs[i]}: no evaluation of set '{parse.GetValue(set)}' in metrics.jsonl");
                var label = names.Length > 0 ? names[i] : Path.GetFileName(Path.GetFullPath(dirs[i]).TrimEnd('/'));
                series.Add(new LineSeries(label, summary.Curve.Select(p => (double)p.Step).ToList(),
                    summary.Curve.Select(p => 100 * p.ExactAccuracy).ToList()) { Markers = true });
                Console.WriteLine($"{label}: {summary.Curve.Count} evaluations, last {100 * summary.Curve[^1].ExactAccuracy:F1}% at step {summary.Curve[^1].Step}");
            }
            var heading = parse.GetValue(title) ?? string.Join(", ", series.Select(s => s.Label));
            Plots.Lines(out_, new Figure(heading, "training step", "held-out exact accuracy (%)") { YRange = (0, 100) }, series);
            Console.WriteLine($"wrote {out_}");
            return 0;
        });
        return cmd;
    }
}
