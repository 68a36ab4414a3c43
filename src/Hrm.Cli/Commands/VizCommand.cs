using System.CommandLine;
using Hrm.Evaluation.Tracing;
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
        var cmd = new Command("viz", """
            Draw a reasoning trace as a self-contained HTML page (opens from a file, no network): the puzzle, the decoded
            answer at every entry with step buttons, a slider, play/pause and the arrow keys, changed cells ringed,
            Sudoku givens bold and rule violations red, the maze path over the walls, ARC grids in the ARC palette,
            confidence as shading, q_halt / q_continue and the residuals as a chart, and the final verdict. Or browse a
            dataset directory (groups -> puzzles with their augmentations -> examples, inputs beside labels), paged.
            Examples:
              hrm viz --trace trace.json --out trace.html --png frames/ --gif trace.gif
              hrm viz --data data/sudoku4 --out browse.html
            """) { trace, data, output, png, gif, frameMs, title, maxPuzzles, maxExamples, maxGroups, maxCells };
        cmd.SetAction(parse =>
        {
            var outPath = parse.GetValue(output)!;
            if (parse.GetValue(data) is string dir)
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
            var obtained = ObtainTrace(parse, trace);
            WriteTraceOutputs(obtained, outPath, parse.GetValue(png), parse.GetValue(gif), parse.GetValue(frameMs), parse.GetValue(title));
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// The trace to draw. Only a trace file today; a checkpoint-based source (run the model on a puzzle with tracing
    /// on) adds its options to <see cref="Build"/> and its branch here.
    /// </summary>
    static Trace ObtainTrace(ParseResult parse, Option<string?> traceFile)
    {
        if (parse.GetValue(traceFile) is string path) return Trace.Load(path);
        throw new HrmException("give a trace to draw (--trace TRACE.json) or a dataset to browse (--data DIR)");
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
