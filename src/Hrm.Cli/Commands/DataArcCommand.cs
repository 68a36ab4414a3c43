using System.CommandLine;
using System.Diagnostics;
using Hrm.Tasks.Arc;

namespace Hrm.Cli.Commands;

/// <summary>`hrm data arc`: build the reference's augmented ARC dataset from task folders or Kaggle combined files.</summary>
public static class DataArcCommand
{
    public static Command Build()
    {
        var cmd = new Command("arc", "Build an ARC dataset (30x30 canvas, dihedral + colour augmentation, translation) from per-task JSON folders or Kaggle *_challenges.json files.");
        var outDir = new Option<string>("--out") { Description = "Output dataset directory (replaced if it exists)", Required = true };
        var source = new Option<string[]>("--source") { Description = "Training tasks: a folder of task JSONs (searched recursively) or a *_challenges.json file with its *_solutions.json beside it; repeatable", Required = true, AllowMultipleArgumentsPerToken = false };
        var evalSource = new Option<string[]>("--eval-source") { Description = "Evaluation tasks (same kinds of path, repeatable): demonstration pairs go to training, test pairs to the test split" };
        var numAug = new Option<int>("--num-aug") { Description = "Augmented versions per task (dihedral x colour permutation, de-duplicated)", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42 };
        var noTranslate = new Option<bool>("--no-translate") { Description = "Keep every training grid at the top-left corner" };
        foreach (var o in new Option[] { outDir, source, evalSource, numAug, seed, noTranslate }) cmd.Options.Add(o);

        cmd.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var evalTasks = (parse.GetValue(evalSource) ?? Array.Empty<string>()).SelectMany(Read).ToList();
            var evalNames = evalTasks.Select(t => t.Name).ToHashSet();
            var trainTasks = new List<ArcTask>();
            int skipped = 0;
            foreach (var t in parse.GetValue(source)!.SelectMany(Read))
                if (evalNames.Contains(t.Name)) skipped++; else trainTasks.Add(t);
            if (skipped > 0) Console.WriteLine($"  skipped {skipped} --source tasks that are also evaluation tasks (their test outputs stay out of training)");
            if (evalTasks.Count == 0) Console.WriteLine("  no --eval-source: the test split is empty");

            var options = new ArcDatasetOptions(parse.GetValue(numAug), parse.GetValue(seed), !parse.GetValue(noTranslate));
            Console.WriteLine($"building: {trainTasks.Count} training + {evalTasks.Count} evaluation tasks, --num-aug {options.NumAug}, seed {options.Seed}");
            int lastTenth = 0;
            var dir = parse.GetValue(outDir)!;
            var s = ArcDataset.Write(dir, trainTasks, evalTasks, options, (done, total) =>
            {
                int tenth = done * 10 / total;
                if (tenth > Volatile.Read(ref lastTenth) && Interlocked.Exchange(ref lastTenth, tenth) < tenth)
                    Console.WriteLine($"  {done}/{total} tasks augmented ({clock.Elapsed.TotalSeconds:F1} s)");
            });
            Console.WriteLine($"wrote {dir} in {clock.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"  tasks: {s.TrainingTasks} training, {s.EvaluationTasks} evaluation");
            Console.WriteLine($"  train: {s.TrainPuzzles} puzzles, {s.TrainExamples} examples ({(double)s.TrainExamples / Math.Max(1, s.TrainPuzzles):F2} per puzzle), {s.TrainingTasks + s.EvaluationTasks} groups");
            Console.WriteLine($"  test:  {s.TestPuzzles} puzzles, {s.TestExamples} examples, {s.EvaluationTasks} groups");
            Console.WriteLine($"  puzzle identifiers: {s.NumPuzzleIdentifiers} (blank included), seq_len {ArcCanvas.SeqLen}, vocab {ArcCanvas.VocabSize} (0 pad, 1 end-of-grid, 2..11 colours)");
            if (s.TasksShortOfAugmentations > 0)
                Console.WriteLine($"  {s.TasksShortOfAugmentations} tasks have fewer than {options.NumAug + 1} distinct versions (fewest: {s.MinVersions})");
            return 0;
        });
        return cmd;

        static IReadOnlyList<ArcTask> Read(string path)
        {
            var tasks = ArcReader.Read(path);
            Console.WriteLine($"read {tasks.Count} tasks from {path}");
            return tasks;
        }
    }
}
