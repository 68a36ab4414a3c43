using System.CommandLine;
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
        set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
    }
}
