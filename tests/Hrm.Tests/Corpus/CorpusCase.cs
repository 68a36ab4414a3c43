using System.Diagnostics;

namespace Hrm.Tests.Corpus;

/// <summary>
/// One malformed input: <see cref="Build"/> writes its files into a fresh folder and returns the call that reads them;
/// that call must fail with a one-line <see cref="HrmException"/> containing <see cref="Expected"/> (CLI cases assert
/// their own one-line error through <see cref="Cli.CliHarness.Fails"/>), in bounded time and with bounded allocation.
/// </summary>
public sealed record CorpusCase(string Kind, string Name, string Expected, Func<string, Action> Build)
{
    /// <summary>Managed bytes the read may allocate on its thread; null = derived from the size of the input files.</summary>
    public long? MaxAllocatedBytes { get; init; }
    /// <summary>True when <see cref="Build"/>'s action asserts the failure itself (CLI cases, dataset checks).</summary>
    public bool AssertsItself { get; init; }

    public string Id => $"{Kind}/{Name}";
    public override string ToString() => Id;
}

/// <summary>Every corpus case, by id, in the order the tables list them.</summary>
public static class CorpusCases
{
    static readonly Lazy<IReadOnlyList<CorpusCase>> all = new(() =>
    {
        var cases = TextCorpus.Sudoku().Concat(TextCorpus.Maze()).Concat(TextCorpus.Arc())
            .Concat(BinaryCorpus.Npy()).Concat(BinaryCorpus.Safetensors()).Concat(BinaryCorpus.Pt())
            .Concat(DatasetCorpus.Cases()).Concat(ConfigCorpus.Cases()).Concat(CliCorpus.Cases()).ToList();
        var dup = cases.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidOperationException($"corpus case id {dup.Key} is listed twice");
        return cases;
    });

    public static IReadOnlyList<CorpusCase> All => all.Value;

    public static CorpusCase Get(string id) => All.Single(c => c.Id == id);
}

public sealed class CorpusTests
{
    // A hang is a failure, not a stuck CI job: generous for a 2-core machine, far below any real hang.
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var c in CorpusCases.All) data.Add(c.Id);
        return data;
    }

    [Fact]
    public void Corpus_covers_every_reader_with_at_least_250_cases()
    {
        Assert.True(CorpusCases.All.Count >= 250, $"{CorpusCases.All.Count} cases");
        foreach (var kind in new[] { "sudoku", "maze", "arc", "npy", "safetensors", "pt", "dataset", "config", "cli" })
            Assert.True(CorpusCases.All.Count(c => c.Kind == kind) >= 10, $"kind {kind} has fewer than 10 cases");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public async Task Malformed_input_gives_one_clear_line(string id)
    {
        var c = CorpusCases.Get(id);
        using var dir = new TempDirectory();
        var read = c.Build(dir.Path);
        long inputBytes = Directory.EnumerateFiles(dir.Path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        long limit = c.MaxAllocatedBytes ?? 64L * 1024 * 1024 + 16 * inputBytes;
        Exception? error = null;
        long allocated = 0;
        var task = Task.Factory.StartNew(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { read(); }
            catch (Exception e) { error = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, TaskCreationOptions.LongRunning);
        Assert.True(await Task.WhenAny(task, Task.Delay(Limit)) == task, $"{id}: no answer within {Limit.TotalSeconds} s (a hang)");
        if (c.AssertsItself)
        {
            if (error is not null) throw new Xunit.Sdk.XunitException($"{id}: {error.GetType().Name}: {error.Message}");
        }
        else
        {
            Assert.True(error is not null, $"{id}: accepted; expected an error containing '{c.Expected}'");
            Assert.True(error is HrmException, $"{id}: {error!.GetType().Name} instead of HrmException: {error.Message}\n{error.StackTrace}");
            Assert.DoesNotContain('\n', error.Message.TrimEnd());
            Assert.True(error.Message.Contains(c.Expected, StringComparison.OrdinalIgnoreCase), $"{id}: the message lacks '{c.Expected}': {error.Message}");
        }
        Assert.True(allocated <= limit, $"{id}: allocated {allocated:N0} bytes, limit {limit:N0} for {inputBytes:N0} bytes of input");
    }
}
