using System.Runtime.InteropServices;

namespace Hrm.Runtime;

/// <summary>
/// Keeps glibc's malloc from handing tensor memory back to the kernel after every free.
/// <para>
/// libtorch's CPU allocator is plain malloc. glibc serves blocks above its mmap threshold (128 KiB at first, adapting
/// upwards) with a fresh mmap and unmaps them on free, and trims the heap top above 128 KiB, so a training step that
/// allocates and frees the same activation sizes again and again page-faults and zeroes every page each time:
/// measured with perf on the hidden-128 bench step, 8-10% of all CPU time was the kernel's clear_page. Raising the mmap
/// threshold to its maximum (32 MiB on 64-bit) and the trim threshold to 2 GiB makes freed blocks stay in the heap
/// and be reused, the same effect PyTorch users get from jemalloc or tcmalloc. The heap grows over the first steps and
/// then stays flat (checked over hour-long runs); the bench's peak RSS did not rise (bench/RESULTS.md).
/// </para>
/// Set HRM_KEEP_MALLOC=1 to leave malloc's defaults alone. Only acts on Linux with glibc; elsewhere a no-op.
/// </summary>
public static class NativeAllocator
{
    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;
    const int MaxMmapThreshold = 32 * 1024 * 1024;   // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
    static int _state;   // 0 not tried, 1 tuned, 2 left alone or unavailable

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int Mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int MallocTrim(nuint pad);

    /// <summary>
    /// Hands the free memory of malloc's heaps back to the system (glibc's malloc_trim(0), which also releases free
    /// pages inside the heaps, in every arena). With <see cref="Tune"/>'s thresholds the heap keeps what a large batch
    /// freed; the batch solver of `hrm serve` calls this when it goes idle (Serving/BatchSolver.cs), so a 30x30 maze request does
    /// not hold its activation memory after it returns. Returns whether memory was released; a no-op off glibc.
    /// </summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return MallocTrim(0) == 1; }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    /// <summary>Applies the settings once per process; returns whether malloc was tuned.</summary>
    public static bool Tune()
    {
        if (Volatile.Read(ref _state) != 0) return _state == 1;
        bool tuned = false;
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("HRM_KEEP_MALLOC") != "1")
        {
            try
            {
                tuned = Mallopt(M_MMAP_THRESHOLD, MaxMmapThreshold) == 1 && Mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
            }
            catch (DllNotFoundException) { }          // not glibc (musl has no mallopt)
            catch (EntryPointNotFoundException) { }
        }
        Interlocked.Exchange(ref _state, tuned ? 1 : 2);
        return tuned;
    }
}
