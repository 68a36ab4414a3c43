using System.Text.RegularExpressions;
using Hrm.Tests.Cli;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

namespace Hrm.Tests;

/// <summary>
/// HrmException keeps its parts apart (reason, file, key, context), callers add context without rewriting the message,
/// and the CLI names the flag that sets a key while the library names only keys.
/// </summary>
public class ErrorTests
{
    [Fact]
    public void Context_is_added_outermost_first_without_repeating_a_file()
    {
        var e = new HrmException("field 'sets' must be a list of strings") { File = "d/train/dataset.json" };
        Assert.Equal("d/train/dataset.json: field 'sets' must be a list of strings", e.Message);
        e.At("d/train");                      // a folder holding the file: already said
        e.At("d/train/dataset.json");         // the same file: already said
        Assert.Equal("d/train/dataset.json: field 'sets' must be a list of strings", e.Message);
        e.Within("data_recipe").At("preset.json");
        Assert.Equal("preset.json: data_recipe: d/train/dataset.json: field 'sets' must be a list of strings", e.Message);
        Assert.Equal("d/train/dataset.json", e.File);
        Assert.Equal("preset.json: data_recipe: field 'sets' must be a list of strings", e.MessageWithout("d/train/dataset.json"));
        Assert.Equal("field 'sets' must be a list of strings", e.Reason);

        var bare = new HrmException("value 3000000000 at index 0 does not fit in int32").At("d/train/all__inputs.npy");
        Assert.Equal("d/train/all__inputs.npy", bare.File);
    }

    [Fact]
    public void Library_errors_name_keys_not_flags()
    {
        var e = Assert.Throws<HrmException>(() => new MazeGeneratorOptions(Size: 9, MinPathLength: -1).Validate());
        Assert.Equal("min_path", e.Key);
        Assert.StartsWith("min_path must be >= 0", e.Message);
        var clash = Assert.Throws<HrmException>(() => new SudokuGeneratorOptions(MinClues: 30, MaxClues: 20).Validate(SudokuShape.Size9));
        Assert.Equal(["min_clues", "max_clues"], clash.Keys);
        Assert.DoesNotContain("--", clash.Message);
    }

    [Fact]
    public void The_cli_names_the_flag_that_sets_a_key()
    {
        using var tmp = new TempDirectory();
        CliHarness.Fails("--min-path must be >= 0, got -1", "data", "maze", "--size", "9", "--min-path", "-1", "--train", "1", "--test", "1", "--out", tmp.File("m"));
        CliHarness.Fails("--min-clues 30 is above --max-clues 20", "data", "sudoku", "--min-clues", "30", "--max-clues", "20", "--train", "1", "--test", "1", "--out", tmp.File("s"));
        CliHarness.Fails("--style must be corridors, walls, iid, mixed or all, not 'spiral'", "data", "maze", "--size", "9", "--style", "spiral", "--out", tmp.File("m2"));
    }

    /// <summary>docs/architecture.md: errors from the library speak in library terms. A string literal in src/Hrm that
    /// throws an HrmException must not name a --flag (descriptions of keys, notes and generated scripts may).</summary>
    [Fact]
    public void No_library_error_message_names_a_flag()
    {
        var root = Path.Combine(TestPaths.RepoRoot, "src", "Hrm");
        var flag = new Regex("\"[^\"]*--[a-z][^\"]*\"");
        var hits = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")) continue;
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                // A throw's message may continue on the next line or two.
                var statement = string.Join(" ", lines.Skip(Math.Max(0, i - 2)).Take(3));
                if (flag.IsMatch(lines[i]) && (statement.Contains("HrmException") || statement.Contains("throw ")))
                    hits.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(hits.Count == 0, "library error messages naming a CLI flag:\n" + string.Join("\n", hits));
    }
}
