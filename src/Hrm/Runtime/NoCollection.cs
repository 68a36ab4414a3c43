using System.Runtime;

namespace Hrm.Runtime;

/// <summary>
/// Keeps the garbage collector out of one step of tensor work (a training step, an inference segment):
/// <c>using (NoCollection.During()) { ... }</c>.
/// <para>
/// Why: TorchSharp makes a <see cref="TorchSharp.Scalar"/> behind many calls (every <c>a + b</c> passes alpha = 1 as one;
/// <c>x * 0.5</c>, <c>pow(2)</c>) and drops it as soon as its handle is loaded. If a collection runs while libtorch is
/// still in the call, the scalar's finalizer frees its native value from the finalizer thread under libtorch's feet
/// (dotnet/TorchSharp#1434, #1496): "INTERNAL ASSERT FAILED at c10/core/Scalar.h" in pow and toBFloat16 in add crashed
/// bfloat16 trainings at random points (after 860 steps once, about 1,000 and tens of thousands other times). With no collection inside the step no scalar of the step can be
/// finalized while in use; the ones it dropped are collected after the step, when nothing uses them.
/// </para>
/// The step's managed allocations (tensor wrappers, scalars) are far below the budget; if a step ever allocates more,
/// the runtime collects anyway and this returns to normal behaviour for that step (no error).
/// </summary>
public static class NoCollection
{
    /// <summary>Managed bytes a step may allocate without a collection (the runtime's limit for this is larger).</summary>
    const long Budget = 64L << 20;

    public static IDisposable During()
    {
        // Nested (an evaluation inside a training step) or unsupported: the outer region already covers it.
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return Nothing.Instance;
        try { return GC.TryStartNoGCRegion(Budget) ? new Region() : Nothing.Instance; }
        catch (ArgumentOutOfRangeException) { return Nothing.Instance; }
        catch (InvalidOperationException) { return Nothing.Instance; }
    }

    sealed class Region : IDisposable
    {
        bool done;
        public void Dispose()
        {
            if (done) return;
            done = true;
            // The region ends by itself if the step allocated past the budget (a collection ran); then there is nothing to end.
            if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                try { GC.EndNoGCRegion(); } catch (InvalidOperationException) { }
        }
    }

    sealed class Nothing : IDisposable
    {
        public static readonly Nothing Instance = new();
        public void Dispose() { }
    }
}
