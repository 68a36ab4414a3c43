using System.CommandLine;
using System.Text.RegularExpressions;
using Hrm.Cli.Commands;

namespace Hrm.Tests.Cli;

/// <summary>
/// The README stays honest: every `hrm` command in its bash blocks parses with the CLI (without running), every link to
/// a file of the repository resolves, and the page stays short. The docs index links resolve too.
/// </summary>
public partial class ReadmeTests
{
    static string Readme => Path.Combine(TestPaths.RepoRoot, "README.md");

    /// <summary>The command lines of the file's ```bash blocks, comments stripped, `hrm` ones only (`dotnet run
    /// --project src/Hrm.Cli -c Release` is `hrm` with no arguments; `-- ARGS` after it are hrm's arguments).</summary>
    internal static IEnumerable<(int Line, string Command)> HrmCommands(string path)
    {
        var lines = File.ReadAllLines(path);
        bool inBash = false;
        for (int i = 0; i < lines.Length; i++)
        {
            var l = lines[i].Trim();
            if (l.StartsWith("```", StringComparison.Ordinal)) { inBash = !inBash && l == "```bash"; continue; }
            if (!inBash) continue;
            var code = Regex.Replace(l, @"\s+#.*$", "").Trim();
            if (code.StartsWith("dotnet run --project src/Hrm.Cli -c Release", StringComparison.Ordinal))
            {
                var rest = code["dotnet run --project src/Hrm.Cli -c Release".Length..].Trim();
                yield return (i + 1, rest.StartsWith("--", StringComparison.Ordinal) ? rest[2..].Trim() : rest);
            }
            else if (code.StartsWith("hrm ", StringComparison.Ordinal) || code == "hrm") yield return (i + 1, code.Length > 3 ? code[4..] : "");
        }
    }

    /// <summary>Shell words: whitespace-separated, single or double quotes grouping, no expansion ($VAR stays as text).</summary>
    internal static List<string> Words(string command)
    {
        var words = new List<string>();
        foreach (Match m in ShellWord().Matches(command))
            words.Add(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value);
        return words;
    }

    [GeneratedRegex("\"([^\"]*)\"|'([^']*)'|(\\S+)")] private static partial Regex ShellWord();
    [GeneratedRegex(@"\]\(([^)\s]+)\)")] private static partial Regex Link();

    [Fact]
    public void Every_hrm_command_in_the_readme_parses()
    {
        var commands = HrmCommands(Readme).ToList();
        Assert.True(commands.Count >= 4, $"expected the README's hrm commands, found {commands.Count}");
        var errors = new List<string>();
        foreach (var (line, command) in commands)
        {
            var words = Words(command);
            // With no arguments the CLI runs the quickstart (Program.Main).
            var parse = CommandRegistry.Root().Parse(words.Count == 0 ? ["quickstart"] : words);
            if (parse.Errors.Count > 0) errors.Add($"README.md:{line}: hrm {command}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        }
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/README.md")]
    public void Every_link_to_a_repository_file_resolves(string page)
    {
        var path = Path.Combine(TestPaths.RepoRoot, page);
        var dir = Path.GetDirectoryName(path)!;
        var missing = new List<string>();
        foreach (Match m in Link().Matches(File.ReadAllText(path)))
        {
            var target = m.Groups[1].Value;
            if (target.Contains("://") || target.StartsWith('#') || target.StartsWith("mailto:")) continue;
            var file = target.Split('#')[0];
            var full = Path.GetFullPath(Path.Combine(dir, file));
            if (!File.Exists(full) && !Directory.Exists(full)) missing.Add(target);
        }
        Assert.True(missing.Count == 0, $"{page}: links to missing files: {string.Join(", ", missing)}");
    }

    [Fact]
    public void The_readme_stays_under_160_lines() =>
        Assert.InRange(File.ReadAllLines(Readme).Length, 20, 159);

    [Fact]
    public void The_checker_itself_sees_a_bad_command()
    {
        Assert.Equal(["train", "--preset", "p q", "--set", "x=$KEY"], Words("train --preset \"p q\" --set x=$KEY"));
        Assert.NotEmpty(CommandRegistry.Root().Parse(Words("train --no-such-option 3")).Errors);
        Assert.Empty(CommandRegistry.Root().Parse(Words("eval --checkpoint r --data d --json f.json")).Errors);
    }
}
