using System.CommandLine;
using System.Diagnostics;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Tracing;
using Hrm.Tasks.Sudoku;
using Hrm.Training;
using Spectre.Console;

namespace Hrm.Cli.Commands;

/// <summary>
/// `hrm quickstart` (also what `hrm` with no arguments runs): builds a small 4x4 Sudoku dataset locally, trains the
/// quickstart preset on the CPU, evaluates on held-out puzzles and shows one solved puzzle, all within a wall-time
/// budget (two minutes by default): training gets what the data left of it, less <see cref="Reserve"/> for the rest.
/// </summary>
public static class QuickstartCommand
{
    const string Marker = ".hrm-quickstart";

    public static Command Build()
    {
        var outDir = new Option<string>("--out") { Description = "Folder for the dataset and the run (replaced if it holds an earlier quickstart).", DefaultValueFactory = _ => Path.Combine("runs", "quickstart") };
        var minutes = new Option<double?>("--minutes") { Description = $"Wall-time budget of the whole quickstart, data to the solved puzzle (default {DefaultMinutes}); training gets what is left of it." };
        var seed = new Option<int>("--seed") { Description = "Seed for data and training.", DefaultValueFactory = _ => 0 };
        var cmd = new Command("quickstart", "Build a small 4x4 Sudoku dataset, train HRM on the CPU, evaluate on held-out puzzles and solve one: two minutes in all.")
        {
            outDir, minutes, seed,
        };
        cmd.SetAction((parse, cancel) => Task.FromResult(Run(parse.GetValue(outDir)!, parse.GetValue(minutes), parse.GetValue(seed), cancel)));
        return cmd;
    }

    /// <summary>The quickstart's wall-time budget: "the first two minutes".</summary>
    public const double DefaultMinutes = 2;

    /// <summary>Kept from the budget for what is not training: the precision probe where bfloat16 is native (1-2 s on
    /// one core), the final evaluation on the 500 held-out puzzles, the checkpoint, and the solved puzzle with its page
    /// (measured: the whole quickstart ended 3-6 s inside two minutes with 8 s kept, on one shared core).</summary>
    static readonly TimeSpan Reserve = TimeSpan.FromSeconds(10);

    public static int Run(string outDir, double? minutes, int seed, CancellationToken cancel)
    {
        double budget = minutes ?? DefaultMinutes;
        if (!double.IsFinite(budget) || budget <= 0) throw new HrmException($"--minutes must be a positive number, got {budget}");
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
        {
            if (!File.Exists(Path.Combine(outDir, Marker)))
                throw new HrmException($"{outDir} exists and is not a quickstart folder: choose another --out");
            Directory.Delete(outDir, recursive: true);
        }
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, Marker), "created by hrm quickstart; replaced by the next one\n");
        var total = Stopwatch.StartNew();

        // 1. Data: minimal 4x4 puzzles (4-6 givens, unique solution), training puzzles augmented, test puzzles unseen.
        var data = Path.Combine(outDir, "data");
        var shape = SudokuShape.Size4;
        var seen = new HashSet<string>();
        AnsiConsole.MarkupLine("[bold]1/3[/] building a 4x4 Sudoku dataset (3,000 training puzzles with augmentations, 500 held-out test puzzles)");
        var train = SudokuGenerator.Generate(shape, 3000, new SudokuGeneratorOptions(), seed, seen);
        var test = SudokuGenerator.Generate(shape, 500, new SudokuGeneratorOptions(), seed + 1, seen);
        SudokuDataset.Write(data, shape, train, test, numAug: QuickstartAugmentations, seed);

        // 2. Train.
        // Training runs until the budget, less what the data took and the reserve, is spent (at least 3 s).
        double trainMinutes = Math.Max((TimeSpan.FromMinutes(budget) - total.Elapsed - Reserve).TotalMinutes, 0.05);
        AnsiConsole.MarkupLine($"[bold]2/3[/] training for {TimeSpan.FromMinutes(trainMinutes):m\\:ss} (progress every 50 steps; evaluation on the held-out puzzles at the end)");
        var overrides = new List<string> { $"seed={seed}", "log_every_steps=50", $"max_minutes={trainMinutes.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}" };
        var cfg = TrainConfig.Load(Presets.Path("sudoku4-quickstart"), overrides);
        var run = Path.Combine(outDir, "run");
        var result = TrainCommand.Run(TrainingRun.New(cfg, run), data, cancel);
        if (cancel.IsCancellationRequested) return 130;

        // 3. Results and one solved held-out puzzle.
        AnsiConsole.MarkupLine("[bold]3/3[/] results");
        var metrics = result.LastEvaluation!.Sets["all"];
        var table = new Table().Title("held-out 4x4 Sudoku (never seen in training)");
        foreach (var col in new[] { "puzzles", "exact (solved)", "token accuracy", "segments", "train steps", "wall time" }) table.AddColumn(col);
        table.AddRow(metrics.Count.ToString(), $"{metrics.ExactAccuracy:P1}", $"{metrics.TokenAccuracy:P1}", $"{metrics.MeanSegments:F1}",
            result.Steps.ToString(), $"{total.Elapsed:mm\\:ss}");
        AnsiConsole.Write(table);

        using var solver = Solver.Load(run);
        PuzzleAnswer? shown = null;
        foreach (var p in test.Take(50))
        {
            var answer = solver.SolveSudoku(SudokuShape.Format(p.Cells));
            if (answer.Valid) { shown = answer; break; }
            shown ??= answer;
        }
        string? page = null;
        if (shown is not null)
        {
            SolveCommand.Print("a held-out puzzle", shown, solver);
            // The same puzzle as a page to open in a browser: every segment's answer, step by step.
            var solution = test.First(p => SudokuShape.Format(p.Cells) == shown.Puzzle).Solution;
            var expected = string.Join('\n', Enumerable.Range(0, shape.N).Select(r => SudokuShape.Format(solution.AsSpan(r * shape.N, shape.N))));
            var (trace, _) = Tracer.Run(solver, solver.Task.Parse(shown.Puzzle), 0, expected, perStep: true);
            page = Path.Combine(outDir, "held-out-puzzle.html");
            Console.WriteLine();
            VizCommand.WriteTraceOutputs(trace, page, null, null, title: "hrm quickstart: a held-out 4x4 Sudoku");
        }
        if (page is not null) AnsiConsole.MarkupLine("open the page above in a browser to watch the model reason, segment by segment");
        AnsiConsole.MarkupLine($"\nrun folder: {Markup.Escape(run)} (metrics.jsonl, tensorboard/, checkpoints/). Next: " +
            $"[grey]hrm solve --checkpoint {Markup.Escape(run)} {Markup.Escape(shown?.Puzzle ?? "PUZZLE")}[/], " +
            $"[grey]hrm eval --checkpoint {Markup.Escape(run)} --data {Markup.Escape(data)}[/]");
        return 0;
    }

    /// <summary>Augmented copies per training puzzle: the sampler draws one per puzzle per epoch, so this is on-the-fly augmentation.</summary>
    const int QuickstartAugmentations = 50;
}
