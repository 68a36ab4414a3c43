using Hrm.Runtime;

namespace Hrm.Tests.Runtime;

public class NativeAllocatorTests
{
    [Fact]
    public void TuningGlibcMallocSucceedsOnLinuxAndIsIdempotent()
    {
        bool first = NativeAllocator.Tune();
        Assert.Equal(first, NativeAllocator.Tune());
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("HRM_KEEP_MALLOC") != "1" && File.Exists("/lib/x86_64-linux-gnu/libc.so.6"))
            Assert.True(first);
        // Tensors still allocate and free normally afterwards.
        using var t = TorchSharp.torch.ones(1 << 22);
        Assert.Equal(1 << 22, t.sum().item<float>());
    }
}
