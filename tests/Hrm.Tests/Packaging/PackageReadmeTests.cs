namespace Hrm.Tests.Packaging;

/// <summary>
/// The Hrm package's README example is what CI runs: the C# block under "Solve a maze" in src/Hrm/README.md is the
/// program .ci/consumer-check builds in a fresh console app against the packed package (.ci/consumer/Program.cs, less
/// its header comment and exit code), and the package ships the GLIBCXX build step that makes it load on Debian 12.
/// </summary>
public class PackageReadmeTests
{
    static string Root => TestPaths.RepoRoot;

    static List<string> CodeBlockAfter(string path, string heading)
    {
        var lines = File.ReadAllLines(path);
        int h = Array.FindIndex(lines, l => l.Trim() == heading);
        Assert.True(h >= 0, $"{path}: no heading '{heading}'");
        int start = Array.FindIndex(lines, h, l => l.Trim() == "```csharp");
        int end = Array.FindIndex(lines, start + 1, l => l.Trim() == "```");
        return lines[(start + 1)..end].Select(l => l.TrimEnd()).ToList();
    }

    [Fact]
    public void The_readme_maze_example_is_the_program_ci_runs()
    {
        var readme = CodeBlockAfter(Path.Combine(Root, "src", "Hrm", "README.md"), "## Solve a maze");
        var program = File.ReadAllLines(Path.Combine(Root, ".ci", "consumer", "Program.cs"))
            .Select(l => l.TrimEnd())
            .SkipWhile(l => l.StartsWith("//", StringComparison.Ordinal))
            .Where(l => !l.StartsWith("return ", StringComparison.Ordinal))
            .ToList();
        // Comments may differ (the README says where models/maze comes from in its own words); the code may not.
        static string Code(string l) => System.Text.RegularExpressions.Regex.Replace(l, @"\s+//.*$", "");
        Assert.Equal(readme.Select(Code), program.Select(Code));
        Assert.Contains(File.ReadAllLines(Path.Combine(Root, ".ci", "run")), l => l.Trim() == ".ci/consumer-check");
    }

    [Fact]
    public void The_package_ships_the_glibcxx_step_and_the_repository_uses_the_same_file()
    {
        var csproj = File.ReadAllText(Path.Combine(Root, "src", "Hrm", "Hrm.csproj"));
        Assert.Contains("PackagePath=\"buildTransitive/\"", csproj);
        foreach (var f in new[] { "Hrm.targets", "WeakenGlibcxxRequirement.cs" })
            Assert.True(File.Exists(Path.Combine(Root, "src", "Hrm", "buildTransitive", f)), f);
        // NuGet imports buildTransitive/<PackageId>.targets: the file name must follow the package id.
        Assert.Contains("<PackageId>Hrm</PackageId>", csproj);
        Assert.Contains("src/Hrm/buildTransitive/Hrm.targets", File.ReadAllText(Path.Combine(Root, "Directory.Build.targets")));
    }
}
