namespace Hrm.Data;

/// <summary>
/// One batch on the host, ready to become tensors: inputs and labels row-major [Rows, SeqLen] (labels already mapped to
/// -100 where ignored), one puzzle identifier per row. <see cref="EffectiveSize"/> counts the rows that are not padding.
/// </summary>
public sealed record HostBatch(string Set, int[] Inputs, int[] Labels, int[] PuzzleIds, int Rows, int SeqLen, int EffectiveSize);

/// <summary>
/// The reference's training sampler. An iteration covers <c>epochsPerIteration</c> epochs: it concatenates that many
/// independent shuffles of the group ids (System.Randoms seeded from seed and the iteration number, iterations counted
/// from 1; each epoch is shuffled only when the batches reach it; the reference uses an unseeded global numpy RNG, so
/// only the scheme is the reference's, not the numbers), then
/// packs batches along the list: for each group, one of its puzzles at random, and min(its example count, room left)
/// of that puzzle's examples without replacement. Only the final incomplete batch of an iteration is dropped.
/// Deterministic for a seed, so a resumed run can regenerate and skip the batches it has already consumed.
/// </summary>
public sealed class TrainSampler : IBatchStream
{
    readonly PuzzleSet set;
    readonly int batchSize, seed, epochsPerIteration;

    public TrainSampler(PuzzleSet set, int globalBatchSize, int seed, int epochsPerIteration)
    {
        if (globalBatchSize <= 0) throw new HrmException("global_batch_size must be positive");
        if (epochsPerIteration <= 0) throw new HrmException("epochs per iteration must be positive");
        this.set = set;
        batchSize = globalBatchSize;
        this.seed = seed;
        this.epochsPerIteration = epochsPerIteration;
    }

    /// <summary>The batches of iteration <paramref name="iteration"/> (1-based), in order.</summary>
    public IEnumerable<HostBatch> Iteration(int iteration)
    {
        var data = set.Data;
        // Two generators: one shuffles the epochs as they are reached, one picks puzzles and examples. The epoch list
        // is never materialised: an iteration is often thousands of epochs (epochs / eval_interval), and 20,000 groups x
        // 100,000 epochs would be an 8 GB index array.
        var shuffle = new Random(unchecked(seed * 1_000_003 + iteration));
        var rng = new Random(unchecked((seed * 1_000_003 + iteration) * 7919 + 17));
        int groups = data.GroupCount;
        if (groups == 0) yield break;
        var perm = new int[groups];
        int epoch = 0, inEpoch = groups;   // position within the current epoch's shuffle; groups = none drawn yet
        bool Next(out int g)
        {
            if (inEpoch == groups)
            {
                if (epoch == epochsPerIteration) { g = -1; return false; }
                for (int i = 0; i < groups; i++) perm[i] = i;
                shuffle.Shuffle(perm);
                epoch++;
                inEpoch = 0;
            }
            g = perm[inEpoch++];
            return true;
        }

        var examples = new int[batchSize];
        var puzzles = new int[batchSize];
        while (true)
        {
            int size = 0;
            while (size < batchSize && Next(out int g))
            {
                int puzzle = rng.Next(data.GroupIndices[g], data.GroupIndices[g + 1]);
                int first = data.PuzzleIndices[puzzle], count = data.PuzzleIndices[puzzle + 1] - first;
                int take = Math.Min(count, batchSize - size);
                // Examples without replacement: a partial Fisher-Yates over the puzzle's example range.
                var pick = Enumerable.Range(first, count).ToArray();
                for (int k = 0; k < take; k++)
                {
                    int j = k + rng.Next(count - k);
                    (pick[k], pick[j]) = (pick[j], pick[k]);
                    examples[size] = pick[k];
                    puzzles[size] = puzzle;
                    size++;
                }
            }
            if (size < batchSize) yield break;   // drop the last incomplete batch
            yield return set.Collate(examples, puzzles, batchSize);
        }
    }

    /// <summary>Endless stream of batches over iterations 1, 2, ..., starting after <paramref name="skipBatches"/> batches.</summary>
    public IEnumerable<(int Iteration, HostBatch Batch)> Batches(long skipBatches = 0)
    {
        for (int it = 1; ; it++)
        {
            int produced = 0;
            foreach (var b in Iteration(it))
            {
                produced++;
                if (skipBatches > 0) { skipBatches--; continue; }
                yield return (it, b);
            }
            if (produced == 0) throw new HrmException($"the training split has fewer examples than one batch ({batchSize}): lower global_batch_size");
        }
    }
}

/// <summary>An endless, deterministic stream of training batches that a resumed run can regenerate and skip into.</summary>
public interface IBatchStream
{
    /// <summary>Batches with the iteration each belongs to, starting after <paramref name="skipBatches"/> batches.</summary>
    IEnumerable<(int Iteration, HostBatch Batch)> Batches(long skipBatches = 0);
}

/// <summary>
/// Training on several grid sizes at once (ours): one <see cref="TrainSampler"/> per size, and each batch drawn whole
/// from one of them, so a batch holds one size. Batch k's size is picked from a hash of the seed and k alone, with
/// probability proportional to each set's example count (the data's own mix: generate more mazes of a size to train
/// more on it), so a resumed run counts how many batches each size gave before it and skips exactly those. Iterations
/// are the first (smallest) size's.
/// </summary>
public sealed class SizeMixSampler : IBatchStream
{
    readonly TrainSampler[] samplers;
    readonly double[] cumulative;
    readonly int seed;

    public SizeMixSampler(IReadOnlyList<PuzzleSet> sets, int globalBatchSize, int seed, int epochsPerIteration)
    {
        if (sets.Count == 0) throw new HrmException("no training sets");
        samplers = sets.Select(s => new TrainSampler(s, globalBatchSize, seed, epochsPerIteration)).ToArray();
        double total = sets.Sum(s => (double)s.Data.ExampleCount);
        if (total <= 0) throw new HrmException("the training sets hold no examples");
        cumulative = new double[sets.Count];
        double acc = 0;
        for (int i = 0; i < sets.Count; i++) cumulative[i] = (acc += sets[i].Data.ExampleCount / total);
        this.seed = seed;
    }

    /// <summary>Which set batch <paramref name="index"/> (from 0, over the whole run) comes from.</summary>
    public int SetOf(long index)
    {
        ulong h = Hrm.Runtime.Hashing.Mix((ulong)(uint)seed << 32 ^ (ulong)index ^ 0x5151_2F0D_0000_0000UL);
        double u = (h >> 11) * (1.0 / (1UL << 53));
        for (int i = 0; i < cumulative.Length - 1; i++) if (u < cumulative[i]) return i;
        return cumulative.Length - 1;
    }

    public IEnumerable<(int Iteration, HostBatch Batch)> Batches(long skipBatches = 0)
    {
        var skip = new long[samplers.Length];
        for (long k = 0; k < skipBatches; k++) skip[SetOf(k)]++;
        var streams = samplers.Select((s, i) => s.Batches(skip[i]).GetEnumerator()).ToArray();
        int iteration = 1;
        try
        {
            for (long k = skipBatches; ; k++)
            {
                int i = SetOf(k);
                if (!streams[i].MoveNext()) yield break;
                if (i == 0) iteration = streams[i].Current.Iteration;
                yield return (iteration, streams[i].Current.Batch);
            }
        }
        finally { foreach (var e in streams) e.Dispose(); }
    }
}

/// <summary>The reference's test iteration: examples in file order, chunks of the batch size, the last one padded.</summary>
public static class TestBatches
{
    public static IEnumerable<HostBatch> Enumerate(PuzzleSet set, int batchSize)
    {
        var owner = set.PuzzleOfExample();
        int total = set.Data.ExampleCount;
        var examples = new int[batchSize];
        var puzzles = new int[batchSize];
        for (int start = 0; start < total; start += batchSize)
        {
            int n = Math.Min(batchSize, total - start);
            for (int i = 0; i < n; i++) { examples[i] = start + i; puzzles[i] = owner[start + i]; }
            yield return set.Collate(examples.AsSpan(0, n), puzzles.AsSpan(0, n), batchSize);
        }
    }
}
