using System.Runtime;
using Hrm.Runtime;

namespace Hrm.Tests.Runtime;

/// <summary>The no-collection region around a step: the collector stays out inside it, a nested one is harmless, and
/// ending it twice (or after the runtime ended it) is not an error. The region is process-wide, so this runs alone
/// (a parallel test's training step would share or end it).</summary>
[CollectionDefinition(nameof(NoCollectionTests), DisableParallelization = true)]
public sealed class NoCollectionAlone;

[Collection(nameof(NoCollectionTests))]
public class NoCollectionTests
{
    [Fact]
    public void Inside_a_step_no_collection_runs_and_nesting_and_double_dispose_are_harmless()
    {
        var region = NoCollection.During();
        try
        {
            Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
            int before = GC.CollectionCount(0);
            var small = Enumerable.Range(0, 10_000).Select(i => new object()).ToList();   // well under the budget
            Assert.Equal(before, GC.CollectionCount(0));
            using (NoCollection.During()) Assert.Equal(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
            Assert.Equal(10_000, small.Count);
        }
        finally
        {
            region.Dispose();
            region.Dispose();
        }
    }
}
