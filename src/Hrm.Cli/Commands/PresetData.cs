using System.CommandLine;
using Hrm.Interop;
using Hrm.Training;
using Spectre.Console;

namespace Hrm.Cli.Commands;

/// <summary>
/// A preset that owns its data: its <c>data_recipe</c> is the argument list of an `hrm data ...` command (without
/// <c>--out</c> and <c>--seed</c>). `hrm train --preset P --out RUN` without <c>--data</c> runs exactly that command into
/// RUN/data with the run's seed, printing it first, so the data can be rebuilt by hand.
/// </summary>
public static class PresetData
{
    /// <summary>The `hrm` arguments that build the recipe's data into <paramref name="outDir"/> with <paramref name="seed"/>.</summary>
    public static string[] Arguments(string recipe, int seed, string outDir)
    {
        var words = recipe.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (words.Count == 0) throw new HrmException("data_recipe is empty: give the arguments of an `hrm data` command, e.g. \"sudoku --size 4 --train 3000 --test 500\"");
        if (words[0] == "data") words.RemoveAt(0);
        if (words.Contains("--out") || words.Contains("--seed"))
            throw new HrmException("data_recipe must not name --out or --seed: the run folder and the run's seed supply them");
        return ["data", .. words, "--out", outDir, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture)];
    }

    /// <summary>The command line a user types for <paramref name="args"/>.</summary>
    public static string CommandLine(IEnumerable<string> args) => "hrm " + string.Join(' ', args.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));

    /// <summary>Builds the recipe's data into RUN/data (or reuses it when the same command built it before) and returns
    /// the folder. A sweep keeps the data its runs share the same way, in its own folder.</summary>
    public static string Build(TrainConfig cfg, RunFolder run)
    {
        var dir = run.DataFolder;
        var args = Arguments(cfg.DataRecipe!, cfg.Seed, dir);
        var line = CommandLine(args);
        var marker = run.DataRecipePath;
        if (File.Exists(marker) && File.ReadAllText(marker).Trim() == line && File.Exists(Path.Combine(Hrm.Data.PuzzleDatasetDirectory.Parts(dir)[0], "train", "dataset.json")))
        {
            AnsiConsole.MarkupLine($"[grey]data: reusing {Markup.Escape(dir)}, built by: {Markup.Escape(line)}[/]");
            return dir;
        }
        AnsiConsole.MarkupLine($"[bold]data[/]: the preset's own data, the same as: [grey]{Markup.Escape(line)}[/]");
        Directory.CreateDirectory(run.Root);
        var parse = CommandRegistry.Root().Parse(args);
        if (parse.Errors.Count > 0) throw new HrmException($"data_recipe: {parse.Errors[0].Message.Split('\n')[0].Trim()}");
        int rc = parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        if (rc != 0) throw new HrmException($"data_recipe: `{line}` failed (exit code {rc})");
        AtomicFile.WriteAllText(marker, line + "\n");
        return dir;
    }
}
