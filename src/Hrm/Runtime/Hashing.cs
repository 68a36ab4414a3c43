namespace Hrm.Runtime;

/// <summary>The one integer hash behind every seeded choice that must not depend on the order things run in
/// (training views, search noise, the size of a batch in a run of several sizes).</summary>
public static class Hashing
{
    /// <summary>A well-mixed 64-bit value of <paramref name="x"/> (SplitMix64's finaliser), stable across runs and platforms.</summary>
    public static ulong Mix(ulong x)
    {
        unchecked
        {
            ulong z = x + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
