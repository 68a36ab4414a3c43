namespace Hrm.Data;

/// <summary>
/// One batch on the host, ready to become tensors: inputs and labels row-major [Rows, SeqLen] (labels already mapped to
/// -100 where ignored), one puzzle identifier per row. <see cref="EffectiveSize"/> counts the rows that are not padding.
/// </summary>
public sealed record HostBatch(string Set, int[] Inputs, int[] Labels, int[] PuzzleIds, int Rows, int SeqLen, int EffectiveSize);

/// <summary>The split's arrays for one set, plus the metadata needed to collate batches.</summary>
public sealed record SplitSet(string Name, PuzzleSplit Data, DatasetMetadata Metadata)
{
    public const int IgnoreLabel = -100;

    /// <summary>Copies the given examples into a batch of <paramref name="rows"/> rows, padding the rest as the reference does.</summary>
    public HostBatch Collate(ReadOnlySpan<int> examples, ReadOnlySpan<int> puzzles, int rows)
    {
        int s = Data.SeqLen;
        var inputs = new int[rows * s];
        var labels = new int[rows * s];
        var ids = new int[rows];
        int n = examples.Length;
        for (int r = 0; r < n; r++)
        {
            Data.Inputs.AsSpan(examples[r] * s, s).CopyTo(inputs.AsSpan(r * s, s));
            var dst = labels.AsSpan(r * s, s);
            Data.Labels.AsSpan(examples[r] * s, s).CopyTo(dst);
            if (Metadata.IgnoreLabelId is int ignore)
                for (int j = 0; j < s; j++) if (dst[j] == ignore) dst[j] = IgnoreLabel;
            ids[r] = Data.PuzzleIdentifiers[puzzles[r]];
        }
        // Padding rows: inputs all pad, labels all ignored, blank identifier: they drop out of every metric.
        if (n < rows)
        {
            inputs.AsSpan(n * s).Fill(Metadata.PadId);
            labels.AsSpan(n * s).Fill(IgnoreLabel);
            ids.AsSpan(n).Fill(Metadata.BlankIdentifierId);
        }
        return new HostBatch(Name, inputs, labels, ids, rows, s, n);
    }

    /// <summary>The puzzle that owns each example (puzzle_indices inverted).</summary>
    public int[] PuzzleOfExample()
    {
        var owner = new int[Data.ExampleCount];
        for (int p = 0; p < Data.PuzzleCount; p++)
            for (int e = Data.PuzzleIndices[p]; e < Data.PuzzleIndices[p + 1]; e++) owner[e] = p;
        return owner;
    }
}

/// <summary>
/// The reference's training sampler. An iteration covers <c>epochsPerIteration</c> epochs: it concatenates that many
/// independent shuffles of the group ids (random generator seeded with seed + iteration, iterations counted from 1), then
/// packs batches along the list: for each group, one of its puzzles at random, and min(its example count, room left)
/// of that puzzle's examples without replacement. Only the final incomplete batch of an iteration is dropped.
/// Deterministic for a seed, so a resumed run can regenerate and skip the batches it has already consumed.
/// </summary>
public sealed class TrainSampler
{
    readonly SplitSet set;
    readonly int batchSize, seed, epochsPerIteration;

    public TrainSampler(SplitSet set, int globalBatchSize, int seed, int epochsPerIteration)
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
        var rng = new Random(unchecked(seed * 1_000_003 + iteration));
        int groups = data.GroupCount;
        var order = new int[groups * epochsPerIteration];
        for (int e = 0; e < epochsPerIteration; e++)
        {
            var perm = order.AsSpan(e * groups, groups);
            for (int i = 0; i < groups; i++) perm[i] = i;
            rng.Shuffle(perm);
        }

        var examples = new int[batchSize];
        var puzzles = new int[batchSize];
        int start = 0;
        while (start < order.Length)
        {
            int size = 0;
            while (start < order.Length && size < batchSize)
            {
                int g = order[start++];
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
    public static IEnumerable<HostBatch> Enumerate(SplitSet set, int batchSize)
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
