using Hrm.Data;

namespace Hrm.Tests.Data;

public class TrainSamplerTests
{
    /// <summary>n groups of one puzzle of one example each; example i's first input token is i + 1.</summary>
    static PuzzleSet Set(int n)
    {
        var inputs = Enumerable.Range(1, n).ToArray();
        var split = new PuzzleSplit(1, inputs, inputs.ToArray(), new int[n], Enumerable.Range(0, n + 1).ToArray(), Enumerable.Range(0, n + 1).ToArray());
        var meta = new DatasetMetadata(0, null, 0, n + 2, 1, 1, n, 1, ["all"]);
        return new PuzzleSet("all", split, meta);
    }

    [Fact]
    public void EachEpochVisitsEveryGroupOnceAndBatchesRunAcrossEpochs()
    {
        const int groups = 7, batch = 3, epochs = 5;
        var sampler = new TrainSampler(Set(groups), batch, seed: 1, epochsPerIteration: epochs);
        var drawn = sampler.Iteration(1).SelectMany(b => b.Inputs).ToList();
        Assert.Equal(groups * epochs / batch * batch, drawn.Count);   // only the last incomplete batch is dropped
        for (int e = 0; e < epochs - 1; e++)
            Assert.Equal(Enumerable.Range(1, groups), drawn.Skip(e * groups).Take(groups).Order());
        // Deterministic for a seed and iteration; another iteration is another order.
        Assert.Equal(drawn, new TrainSampler(Set(groups), batch, 1, epochs).Iteration(1).SelectMany(b => b.Inputs));
        Assert.NotEqual(drawn, sampler.Iteration(2).SelectMany(b => b.Inputs));
    }

    [Fact]
    public void AnIterationOfAMillionEpochsStartsAtOnceWithoutListingThem()
    {
        // 20,000 groups x 1,000,000 epochs would be 80 GB as one index list; the first batches need one epoch's shuffle.
        var sampler = new TrainSampler(Set(20_000), 64, seed: 0, epochsPerIteration: 1_000_000);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var first = sampler.Batches().Take(400).Select(b => b.Batch.Inputs).ToList();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(400, first.Count);
        Assert.InRange(allocated, 0, 64L << 20);
        // The first 20,000 draws (312 full batches) are one permutation of the groups.
        var epoch = first.Take(312).SelectMany(x => x).ToHashSet();
        Assert.Equal(312 * 64, epoch.Count);
    }
}
