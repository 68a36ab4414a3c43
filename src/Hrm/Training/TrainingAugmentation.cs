using Hrm.Data;
using Hrm.Tasks;

namespace Hrm.Training;

/// <summary>
/// Training-time augmentation on the fly (the config key <c>augment</c>): every example of every training batch is
/// replaced by the same example seen through one view of its task (<see cref="TokenViews.DrawTrainingView"/>: the
/// views test-time augmentation uses), input and label mapped alike, so a valid (puzzle, answer) pair stays one.
/// Row r of batch b (counted from 0 over the whole run's batch stream) draws its view from a seed mixed from the
/// run's seed, b and r alone, so a resumed run, which skips the batches it has consumed, sees exactly the views the
/// uninterrupted run would. Label positions without a target (-100) stay without one, moved with their cell.
/// Refused for datasets whose puzzles have their own identifiers (ARC): their learned puzzle embedding stands for
/// one fixed version of the puzzle, so those are augmented when the dataset is built.
/// </summary>
public sealed class TrainingAugmentation
{
    readonly IReadOnlyDictionary<int, PuzzleTask> tasks;
    readonly int seed;

    TrainingAugmentation(IReadOnlyDictionary<int, PuzzleTask> tasks, int seed)
    {
        this.tasks = tasks;
        this.seed = seed;
    }

    /// <summary>The task (of the first training set: every set of a run of several sizes has the same task).</summary>
    public PuzzleTask Task => tasks.Values.First();

    /// <summary>The augmentation for the training sets of a run (several when it trains on several grid sizes: each
    /// batch is augmented with its own size's views).</summary>
    public static TrainingAugmentation For(IReadOnlyList<PuzzleSet> train, int seed) =>
        new(train.Select(t => For(t, seed).Task).ToDictionary(t => t.SeqLen), seed);

    /// <summary>The augmentation for a training set, or an <see cref="HrmException"/> saying why it cannot have one.</summary>
    public static TrainingAugmentation For(PuzzleSet train, int seed)
    {
        var meta = train.Metadata;
        if (meta.NumPuzzleIdentifiers > 1)
            throw new HrmException($"this dataset gives its puzzles their own identifiers ({meta.NumPuzzleIdentifiers}), each with a learned " +
                "embedding of one fixed version of the puzzle, so its examples cannot be re-drawn one by one; build the augmentations into the data instead (num_aug when importing the tasks)")
            { Key = "num_aug" }.Within("augment");
        PuzzleTask task;
        try { task = PuzzleTask.Resolve(meta.Task, meta.SeqLen, meta.VocabSize); }
        catch (HrmException e) { throw e.Within("augment"); }
        if (train.Data.ExampleCount > 0 && task.Views(train.Data.Input(0).ToArray(), TokenViews.TrainingChoices, 0).Count < 2)
            throw new HrmException($"the {task.Name} task has no views other than the identity, so there is nothing to augment with").Within("augment");
        return new TrainingAugmentation(new Dictionary<int, PuzzleTask> { [task.SeqLen] = task }, seed);
    }

    /// <summary>The seed of row <paramref name="row"/> of batch <paramref name="batchIndex"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static int RowSeed(int seed, long batchIndex, int row) =>
        unchecked((int)TokenViews.Mix(TokenViews.Mix((ulong)(uint)seed << 32 ^ (ulong)batchIndex) ^ (ulong)(uint)row));

    /// <summary>
    /// <paramref name="batch"/> with each of its examples (not its padding rows) seen through its own view; the
    /// arrays are new, the batch given is left as it was.
    /// </summary>
    public HostBatch Apply(HostBatch batch, long batchIndex)
    {
        int s = batch.SeqLen;
        if (!tasks.TryGetValue(s, out var task))
            throw new HrmException($"augment: batch rows have {s} tokens, the {Task.Name} task {string.Join(" or ", tasks.Keys)}");
        var inputs = (int[])batch.Inputs.Clone();
        var labels = (int[])batch.Labels.Clone();
        for (int r = 0; r < batch.EffectiveSize; r++)
        {
            var (input, label) = Example(task, batch.Inputs.AsSpan(r * s, s).ToArray(), batch.Labels.AsSpan(r * s, s).ToArray(), RowSeed(seed, batchIndex, r));
            input.CopyTo(inputs, r * s);
            label.CopyTo(labels, r * s);
        }
        return batch with { Inputs = inputs, Labels = labels };
    }

    /// <summary>
    /// One example (input tokens, label tokens with -100 where there is no target) through the view
    /// <paramref name="rowSeed"/> draws. The ignored positions travel as a mask of pad (0) and blank (1) tokens,
    /// which every built-in view keeps (Sudoku relabels digits only, mazes only move cells).
    /// </summary>
    public static (int[] Input, int[] Label) Example(PuzzleTask task, int[] input, int[] label, int rowSeed)
    {
        var view = TokenViews.DrawTrainingView(task, input, rowSeed);
        var newInput = view.Apply(input);
        int ignored = 0;
        foreach (int t in label) if (t == PuzzleSet.IgnoreLabel) ignored++;
        if (ignored == 0) return (newInput, view.Apply(label));
        var mask = new int[label.Length];
        var filled = new int[label.Length];
        for (int i = 0; i < label.Length; i++)
        {
            bool ignore = label[i] == PuzzleSet.IgnoreLabel;
            mask[i] = ignore ? 0 : 1;
            filled[i] = ignore ? 0 : label[i];
        }
        var newMask = view.Apply(mask);
        var newLabel = view.Apply(filled);
        int moved = 0;
        for (int i = 0; i < newMask.Length; i++)
        {
            if (newMask[i] is not (0 or 1))
                throw new HrmException($"augment: the {task.Name} task's view {view.Name} changes the pad and blank tokens, so it cannot carry which labels are ignored");
            if (newMask[i] == 0) { newLabel[i] = PuzzleSet.IgnoreLabel; moved++; }
        }
        if (moved != ignored) throw new HrmException($"augment: the {task.Name} task's view {view.Name} does not keep the number of ignored labels");
        return (newInput, newLabel);
    }
}
