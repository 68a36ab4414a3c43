using System.CommandLine;
using Hrm.Evaluation;
using Spectre.Console;
using static TorchSharp.torch;

namespace Hrm.Cli.Commands;

/// <summary>Options shared by several commands.</summary>
public static class Common
{
    public static Option<int> ThreadsOption() => new("--threads") { Description = "Intra-op CPU threads (default: one per core).", DefaultValueFactory = _ => 0 };

    public static Option<string> DeviceOption() => new("--device")
    {
        Description = "cpu or cuda (cuda needs the CUDA build: dotnet build -p:HrmTorchBackend=cuda).",
        DefaultValueFactory = _ => "cpu",
    };

    public static void SetThreads(int threads)
    {
        if (threads < 0) throw new HrmException("--threads must be >= 0");
        Hrm.Training.NativeAllocator.Tune();
        set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
    }

    /// <summary>The per-set evaluation table shown by train, eval and quickstart.</summary>
    public static Table MetricsTable(IReadOnlyDictionary<string, SetMetrics> sets, string? title = null)
    {
        var table = new Table();
        if (title is not null) table.Title(title);
        foreach (var col in new[] { "set", "count", "exact", "token acc", "mean segments", "q_halt acc", "puzzles/s" }) table.AddColumn(col);
        foreach (var (name, m) in sets)
            table.AddRow(name, m.Count.ToString(), $"{m.ExactAccuracy:P2}", $"{m.TokenAccuracy:P2}", $"{m.MeanSegments:F2}", $"{m.QHaltAccuracy:P1}", $"{m.PuzzlesPerSecond:F0}");
        return table;
    }
}
