namespace Hrm.Tests;

/// <summary>Locates the repository and the read-only ../shared folder beside it (fixtures, ARC data).</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>A parity fixture folder; fails loudly when missing (CI must have ../shared beside the clone).</summary>
    public static string ParityFixture(string name)
    {
        // TRM's fixtures live in their own folder (parity-trm), named trm-*.
        var dir = Path.Combine(Shared, "fixtures", name.StartsWith("trm-", StringComparison.Ordinal) ? "parity-trm" : "parity", name);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"parity fixture '{name}' not found at {dir}: ../shared must sit beside the repository");
        return dir;
    }

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hrm.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Hrm.sln) above " + AppContext.BaseDirectory);
    }
}
