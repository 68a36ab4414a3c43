using System.CommandLine;
using Hrm.Evaluation;
using Hrm.Tracing;
using Hrm.Viz;

namespace Hrm.Cli.Commands;

/// <summary>
/// `hrm viz`: self-contained HTML pages (and PNG / GIF frames) of a reasoning trace, or a dataset browser. Two steps:
/// obtain a <see cref="Trace"/> (today from a trace JSON file), then <see cref="WriteTraceOutputs"/>.
/// </summary>
public static class VizCommand
{
    public static Command Build()
    {
        var trace = new Option<string?>("--trace") { Description = "A trace JSON file (as `hrm trace --json` writes) to draw." };
        var data = new Option<string?>("--data") { Description = "A dataset directory to browse (train/ and test/ splits, any task)." };
        var output = new Option<string>("--out") { Description = "The HTML page to write.", Required = true };
        var png = new Option<string?>("--png") { Description = "Also write one PNG per trace entry into this folder (entry_001.png, ...)." };
        var gif = new Option<string?>("--gif") { Description = "Also write an animated GIF of the trace entries to this file." };
        var frameMs = new Option<int>("--frame-ms") { Description = "GIF: milliseconds per entry (the last one stays three times as long).", DefaultValueFactory = _ => 700 };
        var title = new Option<string?>("--title") { Description = "Page title (default: the task and size)." };
        var maxPuzzles = new Option<int>("--max-puzzles") { Description = "Dataset browser: puzzles embedded per group (the original and its first augmentations).", DefaultValueFactory = _ => 8 };
        var maxExamples = new Option<int>("--max-examples") { Description = "Dataset browser: examples embedded per puzzle.", DefaultValueFactory = _ => 10 };
        var maxGroups = new Option<int>("--max-groups") { Description = "Dataset browser: groups embedded per split.", DefaultValueFactory = _ => 5000 };
        var maxCells = new Option<int>("--max-cells") { Description = "Dataset browser: grid cells embedded per split (about one byte each): every group's original first, then augmentations while they last.", DefaultValueFactory = _ => 2_000_000 };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Run the model on one puzzle (PUZZLE, --maze FILE, --arc TASK.json or --data DIR --index I) and draw its trace." };
        var config = new Option<string?>("--config") { Description = "Model config JSON, if not beside the weights." };
        var perStep = new Option<bool>("--per-step") { Description = "With --checkpoint: also draw every low-level step." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "With --checkpoint: segments to run (default: halt_max_steps)." };
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();
        var source = PuzzleSourceOptions.Create(data);
        var cmd = new Command("viz", """
            Draw a reasoning trace as a self-contained HTML page (opens from a file, no network): the puzzle, the decoded
            answer at every entry with step buttons, a slider, play/pause and the arrow keys, changed cells ringed,
            Sudoku givens bold and rule violations red, the maze path over the walls, ARC grids in the ARC palette,
            confidence as shading, q_halt / q_continue and the residuals as a chart, and the final verdict. Or browse a
            dataset directory (groups -> puzzles with their augmentations -> examples, inputs beside labels), paged.
            Examples:
              hrm viz --checkpoint runs/sudoku4 "1..4..2..3..4..1" --out page.html
              hrm viz --checkpoint runs/maze9 --maze my-maze.txt --per-step --out maze.html --gif maze.gif
              hrm viz --checkpoint runs/sudoku4 --data data/sudoku4 --index 3 --out page.html --png frames/
              hrm viz --trace trace.json --out trace.html --png frames/ --gif trace.gif
              hrm viz --data data/sudoku4 --out browse.html
            """) { trace, data, output, png, gif, frameMs, title, maxPuzzles, maxExamples, maxGroups, maxCells, checkpoint, config, perStep, maxSteps, threads, device };
        foreach (var sym in source.SymbolsBesideData) Common.Add(cmd, sym);
        var search = Common.SearchOptionSet.Create();
        foreach (var o in search.All) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var outPath = parse.GetValue(output)!;
            if (parse.GetValue(data) is string dir && parse.GetValue(checkpoint) is null)
            {
                if (parse.GetValue(trace) is not null) throw new HrmException("give either --data DIR (dataset browser) or a trace to draw, not both");
                if (parse.GetValue(png) is not null || parse.GetValue(gif) is not null) throw new HrmException("--png and --gif draw a trace; they do not go with --data");
                var options = new DatasetPageOptions
                {
                    MaxPuzzlesPerGroup = parse.GetValue(maxPuzzles), MaxExamplesPerPuzzle = parse.GetValue(maxExamples), MaxGroupsPerSplit = parse.GetValue(maxGroups),
                    MaxCellsPerSplit = parse.GetValue(maxCells),
                };
                DatasetPage.Write(dir, outPath, options);
                Console.WriteLine($"dataset browser: {Path.GetFullPath(outPath)} ({new FileInfo(outPath).Length / 1024.0:F0} KiB)");
                return 0;
            }
            var obtained = ObtainTrace(parse, trace, checkpoint, config, source, perStep, maxSteps, threads, device, search);
            WriteTraceOutputs(obtained, outPath, parse.GetValue(png), parse.GetValue(gif), parse.GetValue(frameMs), parse.GetValue(title));
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// The trace to draw. Only a trace file today; a checkpoint-based source (run the model on a puzzle with tracing
    /// on) adds its options to <see cref="Build"/> and its branch here.
    /// </summary>
    static Trace ObtainTrace(ParseResult parse, Option<string?> traceFile, Option<string?> checkpoint, Option<string?> config,
        PuzzleSourceOptions source, Option<bool> perStep, Option<int?> maxSteps, Option<int> threads, Option<string> device, Common.SearchOptionSet search)
    {
        if (parse.GetValue(checkpoint) is string ckpt)
        {
            if (parse.GetValue(traceFile) is not null) throw new HrmException("give either --checkpoint with a puzzle or --trace TRACE.json, not both");
            if (parse.GetValue(maxSteps) is < 1) throw new HrmException("--max-steps must be >= 1");
            Common.SetThreads(parse.GetValue(threads));
            var dev = Hrm.Runtime.TorchRuntime.ParseDevice(parse.GetValue(device)!);
            using var solver = Solver.Load(ckpt, parse.GetValue(config), dev, new SolverOptions { MaxSegments = parse.GetValue(maxSteps), Search = search.Parse(parse) }, parse.GetValue(source.Data));
            var (input, id, expected, _, sized) = source.Resolve(parse, solver);
            return Tracer.Run(sized, input, id, expected, parse.GetValue(perStep)).Trace;
        }
        if (parse.GetValue(traceFile) is string path) return Trace.Load(path);
        throw new HrmException("give a trace to draw (--trace TRACE.json), a checkpoint and a puzzle (--checkpoint RUN PUZZLE) or a dataset to browse (--data DIR)");
    }

    /// <summary>Writes the HTML page and, when asked, one PNG per entry and an animated GIF; prints each path.</summary>
    public static void WriteTraceOutputs(Trace trace, string outPath, string? pngDir, string? gifPath, int frameMs = 700, string? title = null)
    {
        if (frameMs is < 20 or > 60_000) throw new HrmException($"--frame-ms must be in 20..60000, got {frameMs}");
        TracePage.Write(trace, outPath, title);
        Console.WriteLine($"viz page: {Path.GetFullPath(outPath)} ({trace.Entries.Count} entries, {trace.Segments} segments)");
        if (pngDir is not null)
        {
            var files = TraceFrames.WritePngs(trace, pngDir);
            Console.WriteLine($"png frames: {files.Count} in {Path.GetFullPath(pngDir)}");
        }
        if (gifPath is not null)
        {
            TraceFrames.WriteGif(trace, gifPath, frameMs);
            Console.WriteLine($"gif: {Path.GetFullPath(gifPath)} ({trace.Entries.Count} frames)");
        }
    }
}
