using static TorchSharp.torch;

namespace Hrm.Runtime;

/// <summary>Process-wide settings of the tensor runtime: the device, the CPU thread count, the allocator.</summary>
public static class TorchRuntime
{
    /// <summary>"cpu", "cuda" or "cuda:N": the device names this tool accepts (configs are checked against it too).</summary>
    public static bool IsDeviceName(string? device) =>
        device is "cpu" or "cuda" || (device is not null && device.StartsWith("cuda:") && int.TryParse(device[5..], System.Globalization.NumberStyles.None, null, out _));

    /// <summary>"cpu", "cuda" or "cuda:N"; CUDA must be available (the CUDA build, see README).</summary>
    public static Device ParseDevice(string device)
    {
        if (!IsDeviceName(device))
            throw new HrmException($"unknown device '{device}' (expected cpu, cuda or cuda:N)");
        if (device.StartsWith("cuda") && !cuda.is_available())
            throw new HrmException($"device '{device}' requested but CUDA is not available (this build uses the CPU libtorch; see README, CUDA)");
        return new Device(device);
    }

    /// <summary>Sets the intra-op thread count (0 = one per core) and tunes the native allocator for tensor workloads.</summary>
    public static void Configure(int threads)
    {
        if (threads < 0) throw new HrmException($"threads must be >= 0, got {threads}");
        NativeAllocator.Tune();
        set_num_threads(threads > 0 ? threads : Environment.ProcessorCount);
    }
}
