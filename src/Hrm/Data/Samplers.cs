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
public sealed class TrainSampler
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
