using System.Text.RegularExpressions;
using Hrm.Cli.Commands;
using Hrm.Interop;

namespace Hrm.Tests.Cli;

/// <summary>A preset that owns its data (data_recipe): `hrm train --preset P --out RUN` without --data builds RUN/data
/// with exactly the `hrm data` command it prints, seeded by the run's seed.</summary>
public class PresetDataTests
{
    [Fact]
    public void Train_without_data_builds_what_the_printed_command_builds()
    {
        using var tmp = new TempDirectory();
        var run = Path.Combine(tmp.Path, "run");
        var r = CliHarness.Ok("train", "--preset", "tiny-test", "--out", run, "--set", "seed=7", "--set", "max_steps=2", "--set", "eval_every_steps=100");
        var printed = Regex.Match(r.Out, @"the same as: (hrm data [^\r\n]+)").Groups[1].Value;
        Assert.Contains("--seed 7", printed);
        Assert.Contains($"--out {new RunFolder(run).DataFolder}", printed);
        // Run the printed command by hand into another folder: every file is byte-identical.
        var again = Path.Combine(tmp.Path, "again");
        var args = printed["hrm ".Length..].Split(' ');
        args[Array.IndexOf(args, "--out") + 1] = again;
        CliHarness.Ok(args);
        var built = new RunFolder(run).DataFolder;
        var files = Directory.GetFiles(built, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(built, f)).Order().ToList();
        Assert.Contains(Path.Combine("train", "dataset.json"), files);
        Assert.Equal(files, Directory.GetFiles(again, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(again, f)).Order().ToList());
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(built, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(again, f))), $"{f} differs");
        Assert.Contains("\"data_path\"", File.ReadAllText(Path.Combine(run, "train_config.json")));
    }

    [Theory]
    [InlineData("sudoku --size 4 --out x", "must not name --out or --seed")]
    [InlineData("", "data_recipe is empty")]
    public void A_bad_recipe_is_refused(string recipe, string message) =>
        Assert.Contains(message, Assert.Throws<HrmException>(() => PresetData.Arguments(recipe, 0, "d")).Message);

    [Fact]
    public void Every_preset_recipe_parses_as_an_hrm_data_command()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "configs"), "*.json"))
        {
            var cfg = Hrm.Training.TrainConfig.Load(file);
            if (cfg.DataRecipe is null) continue;
            var parse = CommandRegistry.Root().Parse(PresetData.Arguments(cfg.DataRecipe, 0, "d"));
            Assert.True(parse.Errors.Count == 0, $"{Path.GetFileName(file)}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        }
    }
}
