using Hrm.Data;

namespace Hrm.Tasks.Arc;

/// <summary>Settings of the ARC dataset build; the reference's defaults.</summary>
public sealed record ArcDatasetOptions(int NumAug = 1000, int Seed = 42, bool Translate = true);

/// <summary>Counts of a built ARC dataset, for printing.</summary>
public sealed record ArcDatasetSummary(int TrainingTasks, int EvaluationTasks, int TrainPuzzles, int TrainExamples,
    int TestPuzzles, int TestExamples, int NumPuzzleIdentifiers, int TasksShortOfAugmentations, int MinVersions);

/// <summary>A built ARC dataset: both splits and the identifier names (index = puzzle identifier, 0 = "&lt;blank&gt;").</summary>
public sealed record ArcDatasetBuild(PuzzleSplit Train, PuzzleSplit Test, IReadOnlyList<string> Identifiers, ArcDatasetSummary Summary);

/// <summary>
/// The reference's ARC dataset (build_arc_dataset.py). Every task is one group: the original first, then its
/// augmented versions (<see cref="ArcAugmentation"/>), each its own puzzle with its own identifier (from 1, in order of
/// first appearance). A training task gives one training-split puzzle per version holding all its pairs
/// (demonstration and test); an evaluation task gives a training-split puzzle of its demonstration pairs and a
/// test-split puzzle of its test pairs, both under the same name and identifier. Training-split pairs are translated
/// (a random top-left per pair, one random pair per puzzle kept at (0, 0)); test-split grids sit at (0, 0).
/// Labels: only the pad is ignored, so the output's end-of-grid markers are predicted.
/// Reproducible: each task draws from its own generator seeded from <see cref="ArcDatasetOptions.Seed"/> and the
/// task's position, so the result does not depend on thread scheduling.
/// </summary>
public static class ArcDataset
{
    public const string BlankIdentifier = "<blank>";

    sealed record TaskVersions(string[] Names, List<(int[], int[])>[] TrainExamples, List<(int[], int[])>[]? TestExamples);

    public static ArcDatasetBuild Build(IReadOnlyList<ArcTask> trainingTasks, IReadOnlyList<ArcTask> evaluationTasks,
        ArcDatasetOptions options, Action<int, int>? progress = null)
    {
        if (options.NumAug < 0) throw new HrmException($"augmentations per task must be >= 0, got {options.NumAug}");
        var all = trainingTasks.Select(t => (Task: t, Eval: false)).Concat(evaluationTasks.Select(t => (Task: t, Eval: true))).ToList();
        if (all.Count == 0) throw new HrmException("no ARC tasks to build from");
        var firstSeen = new Dictionary<string, ArcTask>();
        foreach (var (task, _) in all)
        {
            if (firstSeen.TryGetValue(task.Name, out var other))
                throw new HrmException($"task {task.Name} appears twice: in {other.Source} and in {task.Source}");
            firstSeen[task.Name] = task;
        }

        var master = new Random(options.Seed);
        var seeds = all.Select(_ => master.Next()).ToArray();
        var built = new TaskVersions[all.Count];
        int done = 0;
        Parallel.For(0, all.Count, i =>
        {
            built[i] = BuildTask(all[i].Task, all[i].Eval, options, new Random(seeds[i]));
            int n = Interlocked.Increment(ref done);
            progress?.Invoke(n, all.Count);
        });

        var identifiers = new List<string> { BlankIdentifier };
        var train = new PuzzleSplitBuilder(ArcCanvas.SeqLen);
        var test = new PuzzleSplitBuilder(ArcCanvas.SeqLen);
        int trainPuzzles = 0, trainExamples = 0, testPuzzles = 0, testExamples = 0, shortTasks = 0, minVersions = int.MaxValue;
        foreach (var v in built)
        {
            int firstId = identifiers.Count;
            identifiers.AddRange(v.Names);
            minVersions = Math.Min(minVersions, v.Names.Length);
            if (v.Names.Length < options.NumAug + 1) shortTasks++;
            train.BeginGroup();
            for (int k = 0; k < v.Names.Length; k++)
            {
                train.AddPuzzle(firstId + k, v.TrainExamples[k]);
                trainPuzzles++; trainExamples += v.TrainExamples[k].Count;
            }
            if (v.TestExamples is null) continue;
            test.BeginGroup();
            for (int k = 0; k < v.Names.Length; k++)
            {
                test.AddPuzzle(firstId + k, v.TestExamples[k]);
                testPuzzles++; testExamples += v.TestExamples[k].Count;
            }
        }
        var summary = new ArcDatasetSummary(trainingTasks.Count, evaluationTasks.Count, trainPuzzles, trainExamples, testPuzzles, testExamples,
            identifiers.Count, shortTasks, minVersions);
        return new ArcDatasetBuild(train.Build(), test.Build(), identifiers, summary);
    }

    /// <summary>Builds and writes the dataset directory (identifiers.json, train/, test/); returns its summary.</summary>
    public static ArcDatasetSummary Write(string dir, IReadOnlyList<ArcTask> trainingTasks, IReadOnlyList<ArcTask> evaluationTasks,
        ArcDatasetOptions options, Action<int, int>? progress = null)
    {
        var build = Build(trainingTasks, evaluationTasks, options, progress);
        PuzzleDatasetDirectory.Write(dir, build.Train, build.Test, build.Identifiers, ArcCanvas.VocabSize, ignoreLabelId: ArcCanvas.Pad, task: "arc");
        return build.Summary;
    }

    static TaskVersions BuildTask(ArcTask task, bool evaluation, ArcDatasetOptions options, Random rng)
    {
        var versions = new List<ArcTask> { task };
        versions.AddRange(ArcAugmentation.Augment(task, options.NumAug, rng).Select(v => v.Task));
        var names = versions.Select(v => v.Name).ToArray();
        var trainExamples = versions.Select(v =>
            Encode(evaluation ? v.Train : v.Train.Concat(v.Test).ToList(), options.Translate ? rng : null)).ToArray();
        var testExamples = evaluation ? versions.Select(v => Encode(v.Test, null)).ToArray() : null;
        return new TaskVersions(names, trainExamples, testExamples);
    }

    /// <summary>One puzzle's examples; with <paramref name="translate"/>, every pair but one random pair gets a random
    /// top-left (r, c) in [0, 30 - max(h_in, h_out)] x [0, 30 - max(w_in, w_out)], shared by input and output.</summary>
    static List<(int[], int[])> Encode(IReadOnlyList<ArcPair> pairs, Random? translate)
    {
        int fixedPair = translate?.Next(pairs.Count) ?? -1;
        var examples = new List<(int[], int[])>(pairs.Count);
        for (int i = 0; i < pairs.Count; i++)
        {
            var (input, output) = (pairs[i].Input, pairs[i].Output);
            int r = 0, c = 0;
            if (translate is not null && i != fixedPair)
            {
                r = translate.Next(ArcCanvas.Size - Math.Max(input.Height, output.Height) + 1);
                c = translate.Next(ArcCanvas.Size - Math.Max(input.Width, output.Width) + 1);
            }
            examples.Add((ArcCanvas.Encode(input, r, c), ArcCanvas.Encode(output, r, c)));
        }
        return examples;
    }
}
