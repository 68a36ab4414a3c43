using System.Collections.Concurrent;
using TorchSharp;

namespace Hrm.Runtime;

/// <summary>
/// Scalars that live for the whole process, for the arithmetic of every training and inference step.
/// <para>
/// Why: <c>tensor + 1.0</c> converts the number to a <see cref="Scalar"/>, an object that owns a native value, passes
/// its handle to libtorch, and drops it. The runtime may collect the object while libtorch still reads the value (the
/// last managed use is the handle load, before the native call), and its finalizer then frees the native value from
/// another thread in the middle of the call (dotnet/TorchSharp#1434, #1496). Over hundreds of thousands of steps that
/// race struck: "INTERNAL ASSERT FAILED at c10/core/Scalar.h" in pow and a bad conversion to bfloat16 in add, a
/// crashed training each time. A scalar from here is never collected, so the race cannot happen on it.
/// </para>
/// </summary>
public static class Scalars
{
    static readonly ConcurrentDictionary<double, Scalar> Cache = new();

    /// <summary>The process-wide scalar of this value (created once; never disposed).</summary>
    public static Scalar Of(double value) => Cache.GetOrAdd(value, v => v.ToScalar());
}
