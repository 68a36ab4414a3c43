namespace Hrm.Runtime;

/// <summary>What the CPU offers for low-precision matmuls (read from /proc/cpuinfo on Linux).</summary>
public static class CpuFeatures
{
    static readonly Lazy<HashSet<string>> Flags = new(() =>
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags"));
            return line is null ? [] : line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    });

    static readonly Lazy<string> Model = new(() =>
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"));
            return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    });

    /// <summary>The CPU's model name ("AMD EPYC ..."), or "unknown" where /proc/cpuinfo cannot be read.</summary>
    public static string ModelName => Model.Value;

    /// <summary>A short hash of the CPU's sorted flags: two machines with the same model name but other features
    /// (a VM that hides AVX-512) differ in it.</summary>
    public static string FlagsHash => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
        System.Text.Encoding.UTF8.GetBytes(string.Join(' ', Flags.Value.Order(StringComparer.Ordinal)))))[..12].ToLowerInvariant();

    /// <summary>
    /// True when bfloat16 matmuls run natively (AVX-512 BF16 or AMX). Without them libtorch emulates bfloat16 and a CPU
    /// step is many times slower than in float32 (measured 0.2 vs 33 GFLOP/s on an AVX2-only EPYC), so float32 is better.
    /// Unknown (not Linux) counts as true: we do not second-guess the user there.
    /// </summary>
    public static bool HasNativeBf16 => !OperatingSystem.IsLinux() || Flags.Value.Count == 0
        || Flags.Value.Contains("avx512_bf16") || Flags.Value.Contains("amx_bf16");
}
