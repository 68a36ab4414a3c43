namespace Hrm.Tests;

/// <summary>Locates the repository and the test fixtures inside it (tests/fixtures: parity data from the authors'
/// code, a handful of public ARC tasks; see tests/fixtures/README.md). Tests need nothing outside the repository.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");

    /// <summary>A parity fixture folder (tests/fixtures/parity/NAME, or parity-trm/NAME for TRM's trm-*).</summary>
    public static string ParityFixture(string name)
    {
        var dir = Path.Combine(Fixtures, name.StartsWith("trm-", StringComparison.Ordinal) ? "parity-trm" : "parity", name);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"parity fixture '{name}' not found at {dir} (tests/fixtures/README.md lists them)");
        return dir;
    }

    /// <summary>A path under tests/fixtures/arc (a few ARC-AGI-1 tasks and a trimmed ARC-AGI-2 Kaggle file).</summary>
    public static string Arc(params string[] parts) => Path.Combine([Fixtures, "arc", .. parts]);

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hrm.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Hrm.sln) above " + AppContext.BaseDirectory);
    }
}
