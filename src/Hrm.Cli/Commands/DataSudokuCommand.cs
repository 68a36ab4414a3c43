using System.CommandLine;
using System.Diagnostics;
using Hrm.Tasks.Sudoku;

namespace Hrm.Cli.Commands;

/// <summary>
/// `hrm data sudoku`: generate puzzles (--train/--test) or import them (--csv-train/--csv-test: Sudoku-Extreme CSV or
/// one puzzle per line), augment the training split, and write the dataset directory.
/// </summary>
public static class DataSudokuCommand
{
    public static Command Build()
    {
        var outDir = new Option<string>("--out") { Description = "Dataset directory to write (replaced only when everything succeeded).", Required = true };
        var train = new Option<int>("--train") { Description = "Generated training puzzles.", DefaultValueFactory = _ => 1000 };
        var test = new Option<int>("--test") { Description = "Generated test puzzles (never augmented, never equal to a training puzzle).", DefaultValueFactory = _ => 200 };
        var size = new Option<int>("--size") { Description = "Grid size: 4 (2x2 boxes), 6 (2x3 boxes) or 9 (3x3 boxes).", DefaultValueFactory = _ => 9 };
        var difficulty = new Option<SudokuDifficulty>("--difficulty")
        {
            Description = "any; easy (singles only); hard (needs a guess); extreme (rating >= --min-rating, default 20).",
            DefaultValueFactory = _ => SudokuDifficulty.Any,
        };
        var minRating = new Option<int?>("--min-rating") { Description = "Keep only puzzles rated at least R (guesses of the solver; the CSV's rating column)." };
        var minClues = new Option<int?>("--min-clues") { Description = "Generated puzzles: at least this many clues." };
        var maxClues = new Option<int?>("--max-clues") { Description = "Generated puzzles: at most this many clues." };
        var csvTrain = new Option<string?>("--csv-train") { Description = "Training puzzles: Sudoku-Extreme CSV (source,question,answer,rating) or one puzzle per line." };
        var csvTest = new Option<string?>("--csv-test") { Description = "Test puzzles, same formats as --csv-train." };
        var subsample = new Option<int?>("--subsample") { Description = "Imported training puzzles: keep N drawn at random (seeded)." };
        var numAug = new Option<int>("--num-aug") { Description = "Augmented copies per training puzzle (the reference uses 1000 for Sudoku-Extreme-1k).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed for generation, subsampling and augmentation.", DefaultValueFactory = _ => 0 };
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines on stderr." };

        var cmd = new Command("sudoku", "Build a Sudoku dataset (generated or imported) in the reference's directory format.");
        foreach (var o in new Option[] { outDir, train, test, size, difficulty, minRating, minClues, maxClues, csvTrain, csvTest, subsample, numAug, seed, quiet })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var progress = new ProgressLines(parse.GetValue(quiet));
            var (csvTr, csvTe) = (parse.GetValue(csvTrain), parse.GetValue(csvTest));
            if ((csvTr is null) != (csvTe is null)) throw new HrmException("--csv-train and --csv-test go together");
            int s = parse.GetValue(seed);
            SudokuShape shape;
            List<SudokuPuzzle> trainSet, testSet;
            if (csvTr is not null)
            {
                var rating = parse.GetValue(minRating);
                progress.Say($"reading {csvTr}");
                trainSet = SudokuImport.Read(csvTr, rating);
                progress.Say($"reading {csvTe}");
                testSet = SudokuImport.Read(csvTe!, rating);
                if (parse.GetValue(subsample) is int n) trainSet = SudokuImport.Subsample(trainSet, n, new Random(s));
                if (trainSet.Count == 0) throw new HrmException($"{csvTr}: no training puzzles left after the filters");
                shape = SudokuShape.OfCellCount(trainSet[0].Cells.Length)!;
                if (testSet.Count > 0 && testSet[0].Cells.Length != shape.Cells)
                    throw new HrmException($"{csvTe}: puzzles have {testSet[0].Cells.Length} cells but the training puzzles {shape.Cells}");
            }
            else
            {
                shape = SudokuShape.OfSize(parse.GetValue(size));
                int nTrain = parse.GetValue(train), nTest = parse.GetValue(test);
                if (nTrain < 1 || nTest < 0) throw new HrmException("--train must be >= 1 and --test >= 0");
                var options = new SudokuGeneratorOptions(parse.GetValue(difficulty), parse.GetValue(minRating), parse.GetValue(minClues), parse.GetValue(maxClues));
                var seen = new HashSet<string>();
                trainSet = SudokuGenerator.Generate(shape, nTrain, options, s, seen, progress: (k, a) => progress.Tick($"train: {k}/{nTrain} puzzles ({a} tried)"));
                testSet = SudokuGenerator.Generate(shape, nTest, options, s + 1, seen, progress: (k, a) => progress.Tick($"test: {k}/{nTest} puzzles ({a} tried)"));
            }
            var dir = parse.GetValue(outDir)!;
            int aug = parse.GetValue(numAug);
            progress.Say($"writing {dir}");
            SudokuDataset.Write(dir, shape, trainSet, testSet, aug, s);
            PrintSummary(dir, shape, trainSet, testSet, aug, progress.Elapsed);
            return 0;
        });
        return cmd;
    }

    static void PrintSummary(string dir, SudokuShape shape, List<SudokuPuzzle> train, List<SudokuPuzzle> test, int numAug, TimeSpan elapsed)
    {
        Console.WriteLine($"wrote {dir} in {elapsed.TotalSeconds:F1} s: {shape.N}x{shape.N} Sudoku (boxes {shape.BoxRows}x{shape.BoxCols}), vocab {shape.VocabSize}, seq_len {shape.SeqLen}");
        Console.WriteLine($"  train: {train.Count} puzzles x (1 + {numAug} augmentations) = {train.Count * (1 + numAug)} examples in {train.Count} groups");
        Console.WriteLine($"  test:  {test.Count} puzzles, not augmented");
        foreach (var (name, set) in new[] { ("train", train), ("test", test) })
        {
            if (set.Count == 0) continue;
            Console.WriteLine($"  {name} clues {set.Min(p => p.Clues)}..{set.Max(p => p.Clues)} (mean {set.Average(p => p.Clues):F1}); rating histogram (guesses):");
            foreach (var (bucket, count) in SudokuDataset.RatingHistogram(set))
                Console.WriteLine($"    {bucket,8}: {count}");
        }
    }
}

/// <summary>Progress for long work: lines on stderr, at most one per second, none with --quiet.</summary>
sealed class ProgressLines(bool quiet)
{
    readonly Stopwatch clock = Stopwatch.StartNew();
    TimeSpan last = TimeSpan.Zero;

    public TimeSpan Elapsed => clock.Elapsed;

    public void Say(string message)
    {
        if (!quiet) Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {message}");
    }

    public void Tick(string message)
    {
        if (clock.Elapsed - last < TimeSpan.FromSeconds(1)) return;
        last = clock.Elapsed;
        Say(message);
    }
}
