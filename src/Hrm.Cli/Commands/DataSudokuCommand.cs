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
        var difficulty = new Option<string>("--difficulty")
        {
            Description = "Generated puzzles: any; easy (singles solve it, rating 0); hard (rating >= 1); extreme (rating >= --min-rating, " +
                "default 20: about the top 3.5% of random minimal 9x9 puzzles, the Sudoku-Extreme kind; see docs/dataset-format.md). " +
                "The rating is the number of guesses of our solver (singles propagation, depth-first search, whole tree).",
            DefaultValueFactory = _ => "any",
        };
        var minRating = new Option<int?>("--min-rating") { Description = "Keep only puzzles rated at least R: generated puzzles by our solver's guesses (with --difficulty extreme, instead of 20), imported ones by the CSV's rating column (Sudoku-Extreme: tdoku backtracks, another scale)." };
        var minClues = new Option<int?>("--min-clues") { Description = "Generated puzzles: at least this many clues." };
        var maxClues = new Option<int?>("--max-clues") { Description = "Generated puzzles: at most this many clues." };
        var csvTrain = new Option<string?>("--csv-train") { Description = "Training puzzles: Sudoku-Extreme CSV (source,question,answer,rating) or one puzzle per line." };
        var csvTest = new Option<string?>("--csv-test") { Description = "Test puzzles, same formats as --csv-train." };
        var subsample = new Option<int?>("--subsample") { Description = "Imported training puzzles: keep N drawn at random (seeded)." };
        var numAug = new Option<int>("--num-aug") { Description = "Augmented copies per training puzzle (the reference uses 1000 for Sudoku-Extreme-1k).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed for generation, subsampling and augmentation.", DefaultValueFactory = _ => 0 };
        var quiet = new Option<bool>("--quiet") { Description = "No progress lines on stderr." };
        var threads = new Option<int>("--threads") { Description = "Generated puzzles: worker threads (0 = one per core). The puzzles do not depend on it.", DefaultValueFactory = _ => 0 };

        var cmd = new Command("sudoku", "Build a Sudoku dataset (generated or imported) in the reference's directory format.");
        foreach (var o in new Option[] { outDir, train, test, size, difficulty, minRating, minClues, maxClues, csvTrain, csvTest, subsample, numAug, seed, threads, quiet })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var progress = new ProgressLines(parse.GetValue(quiet));
            var (csvTr, csvTe) = (parse.GetValue(csvTrain), parse.GetValue(csvTest));
            if ((csvTr is null) != (csvTe is null)) throw new HrmException("--csv-train and --csv-test go together");
            int s = parse.GetValue(seed);
            if (parse.GetValue(minRating) is int mr && mr < 0) throw new HrmException($"--min-rating must be >= 0, got {mr}");
            SudokuShape shape;
            List<SudokuPuzzle> trainSet, testSet;
            SudokuGenerationStats? trainStats = null, testStats = null;
            if (csvTr is not null)
            {
                // The CSV's puzzles are what they are: only --min-rating (its rating column) and --subsample choose among them.
                if (SudokuDifficulties.Parse(parse.GetValue(difficulty)!) != SudokuDifficulty.Any) throw new HrmException("--difficulty applies to generated puzzles; with --csv-train filter by the CSV's rating column with --min-rating");
                if (parse.GetValue(minClues) is not null || parse.GetValue(maxClues) is not null) throw new HrmException("--min-clues/--max-clues apply to generated puzzles, not to --csv-train/--csv-test");
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
                var options = new SudokuGeneratorOptions(SudokuDifficulties.Parse(parse.GetValue(difficulty)!), parse.GetValue(minRating), parse.GetValue(minClues), parse.GetValue(maxClues)).Validate(shape);
                int t = parse.GetValue(threads);
                if (t < 0) throw new HrmException($"--threads must be >= 0 (0 = one per core), got {t}");
                var seen = new HashSet<string>();
                progress.Say($"generating {nTrain} + {nTest} minimal {shape.N}x{shape.N} puzzles ({options}), seed {s}");
                trainStats = new SudokuGenerationStats();
                testStats = new SudokuGenerationStats();
                trainSet = SudokuGenerator.Generate(shape, nTrain, options, s, seen, progress: (k, a) => progress.Tick($"train: {k}/{nTrain} puzzles ({a} tried)"), threads: t, stats: trainStats);
                testSet = SudokuGenerator.Generate(shape, nTest, options, s + 1, seen, progress: (k, a) => progress.Tick($"test: {k}/{nTest} puzzles ({a} tried)"), threads: t, stats: testStats);
            }
            var dir = parse.GetValue(outDir)!;
            int aug = parse.GetValue(numAug);
            progress.Say($"writing {dir}");
            SudokuDataset.Write(dir, shape, trainSet, testSet, aug, s);
            PrintSummary(dir, shape, trainSet, testSet, aug, progress.Elapsed, trainStats, testStats);
            return 0;
        });
        return cmd;
    }

    static void PrintSummary(string dir, SudokuShape shape, List<SudokuPuzzle> train, List<SudokuPuzzle> test, int numAug, TimeSpan elapsed,
        SudokuGenerationStats? trainStats, SudokuGenerationStats? testStats)
    {
        Console.WriteLine($"wrote {dir} in {elapsed.TotalSeconds:F1} s: {shape.N}x{shape.N} Sudoku (boxes {shape.BoxRows}x{shape.BoxCols}), vocab {shape.VocabSize}, seq_len {shape.SeqLen}");
        Console.WriteLine($"  train: {train.Count} puzzles x (1 + {numAug} augmentations) = {train.Count * (1 + numAug)} examples in {train.Count} groups");
        Console.WriteLine($"  test:  {test.Count} puzzles, not augmented");
        foreach (var (name, stats) in new[] { ("train", trainStats), ("test", testStats) })
            if (stats is { Candidates: > 0 }) Console.WriteLine($"  generated {name}: {stats}");
        foreach (var (name, set) in new[] { ("train", train), ("test", test) })
        {
            if (set.Count == 0) continue;
            var ratings = set.Select(p => p.Rating).Order().ToList();
            Console.WriteLine($"  {name} clues {set.Min(p => p.Clues)}..{set.Max(p => p.Clues)} (mean {set.Average(p => p.Clues):F1}); " +
                $"rating {ratings[0]}..{ratings[^1]} (mean {ratings.Average():F1}, median {ratings[ratings.Count / 2]}); rating histogram ({(trainStats is null ? "the file's rating column" : "our solver's guesses")}):");
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
