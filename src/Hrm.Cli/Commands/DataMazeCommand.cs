using System.CommandLine;
using System.Diagnostics;
using Hrm.Tasks.Maze;

namespace Hrm.Cli.Commands;

/// <summary>`hrm data maze`: generate mazes (or import the maze CSV format) into a dataset directory.</summary>
public static class DataMazeCommand
{
    public static Command Build()
    {
        var cmd = new Command("maze", "Build a maze dataset: generated N x N mazes with a long shortest path, or the maze CSV format (source,question,answer,rating).");
        var outDir = new Option<string>("--out") { Description = "Output dataset directory (replaced if it exists)", Required = true };
        var train = new Option<int>("--train") { Description = "Number of generated training mazes", DefaultValueFactory = _ => 1000 };
        var test = new Option<int>("--test") { Description = "Number of generated test mazes", DefaultValueFactory = _ => 1000 };
        var size = new Option<string>("--size") { Description = "Maze side N (N x N grid, seq_len N*N), or several sides (11,15,21): one dataset per size in OUT/NxN, which `hrm train --data OUT` trains on together (each batch one size) and `hrm eval --data OUT` evaluates size by size", DefaultValueFactory = _ => "30" };
        var minPath = new Option<int?>("--min-path") { Description = "Keep mazes whose shortest S-G path is longer than this many moves (default: 110 for 30x30, the reference's 'hard' set; else the same fraction of N*N)" };
        var trainMinPath = new Option<int?>("--train-min-path") { Description = "Training mazes only: keep mazes whose shortest path is longer than this (default: --min-path). A lower value mixes short mazes into training, an easy-to-hard curriculum; the test split keeps --min-path" };
        var loops = new Option<double>("--loops") { Description = "Fraction of the remaining room-to-room walls knocked out to make loops", DefaultValueFactory = _ => 0.1 };
        var style = new Option<string>("--style") { Description = "corridors: a spanning tree of corridors between rooms, with --loops (ours, the default); iid: each cell a wall independently at --wall-density, nothing added, S and G more than --min-path apart, ties kept (the kind of Lehnert et al. 2024 behind the paper's Maze-Hard); walls: iid walls, then walls added until the shortest path is unique and long enough; mixed: corridors or walls by a coin flip; all: corridors, walls or iid, a third each", DefaultValueFactory = _ => "corridors" };
        var density = new Option<string>("--wall-density") { Description = "--style iid/walls/mixed: fraction of cells made walls, one value (0.4) or a range drawn per maze (the default 0.3-0.5, Lehnert et al.'s range)", DefaultValueFactory = _ => "0.3-0.5" };
        var aug = new Option<bool>("--aug") { Description = "Add the 8 dihedral transforms of every training maze (each its own puzzle in the maze's group)" };
        var seed = new Option<int>("--seed") { Description = "Random seed for generation", DefaultValueFactory = _ => 42 };
        var csvTrain = new Option<string?>("--csv-train") { Description = "Import training mazes from this CSV instead of generating" };
        var csvTest = new Option<string?>("--csv-test") { Description = "Import test mazes from this CSV (with --csv-train)" };
        var allowTies = new Option<bool>("--allow-ties", "--keep-ties") { Description = "Also keep generated mazes with several equally short S-G paths (the label marks one, any shortest path is a valid answer); by default every maze's shortest path is unique, except in --style iid, which always keeps ties" };
        var uniqueOnly = new Option<bool>("--unique-only") { Description = "CSV import: drop mazes with several shortest S-G paths (they are always counted)" };
        foreach (var o in new Option[] { outDir, train, test, size, minPath, trainMinPath, loops, style, density, aug, seed, csvTrain, csvTest, allowTies, uniqueOnly }) cmd.Options.Add(o);

        cmd.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            IReadOnlyList<MazePuzzle> trainMazes = [], testMazes = [];
            var sides = Hrm.Tasks.GridSize.ParseSides(parse.GetValue(size)!, "--size", min: 2);
            var bySize = new List<(IReadOnlyList<MazePuzzle> Train, IReadOnlyList<MazePuzzle> Test)>();
            string? trainCsv = parse.GetValue(csvTrain), testCsv = parse.GetValue(csvTest);
            if (sides.Length > 1 && (trainCsv is not null || testCsv is not null))
                throw new HrmException("--size with several sides builds generated mazes; a CSV import takes its size from the file");
            if (sides.Length > 1 && (parse.GetValue(minPath) is not null || parse.GetValue(trainMinPath) is not null))
                throw new HrmException("--min-path and --train-min-path are one length for one size: with several sides, leave them out (each size gets the default, the same fraction of N*N)");
            if (trainCsv is not null || testCsv is not null)
            {
                if (trainCsv is null || testCsv is null) throw new HrmException("--csv-train and --csv-test go together");
                Console.WriteLine($"reading {trainCsv} and {testCsv} (every answer checked by BFS)");
                var trainImport = MazeCsv.Import(trainCsv, parse.GetValue(uniqueOnly));
                var testImport = MazeCsv.Import(testCsv, parse.GetValue(uniqueOnly));
                Console.WriteLine($"  {trainCsv}: {trainImport}");
                Console.WriteLine($"  {testCsv}: {testImport}");
                (trainMazes, testMazes) = (trainImport.Mazes, testImport.Mazes);
                if (trainMazes[0].Size != testMazes[0].Size)
                    throw new HrmException($"{testCsv}: mazes are {testMazes[0].Size}x{testMazes[0].Size}, {trainCsv} has {trainMazes[0].Size}x{trainMazes[0].Size}");
                bySize.Add((trainMazes, testMazes));
            }
            else foreach (int side in sides)
            {
                if (parse.GetValue(uniqueOnly)) throw new HrmException("--unique-only applies to --csv-train/--csv-test; generated mazes are unique unless --allow-ties");
                var (dMin, dMax) = MazeGeneratorOptions.ParseDensity(parse.GetValue(density)!);
                var options = new MazeGeneratorOptions(side, parse.GetValue(minPath), parse.GetValue(loops), parse.GetValue(allowTies),
                    MazeStyles.Parse(parse.GetValue(style)!), dMin, dMax);
                options.Validate();
                int nTrain = parse.GetValue(train), nTest = parse.GetValue(test);
                int? trainMin = parse.GetValue(trainMinPath);
                if (trainMin is int m) (options with { MinPathLength = m }).Validate();
                var trainNote = trainMin is int t ? $" (training mazes: > {t})" : "";
                var tieNote = options.Style == MazeStyle.All && !options.AllowTies ? ", ties kept on the iid ones (any shortest path is valid)"
                    : options.KeepsTies ? ", ties kept (any shortest path is valid)" : ", unique shortest path";
                var densityNote = $"density {options.WallDensityMin:0.##}-{options.WallDensityMax:0.##}";
                var styleNote = options.Style switch
                {
                    MazeStyle.Corridors => "corridor",
                    MazeStyle.Walls => $"random-wall ({densityNote}, walls added for a unique long path)",
                    MazeStyle.Iid => $"iid random-wall ({densityNote}, nothing added)",
                    MazeStyle.All => $"corridor, random-wall and iid random-wall ({densityNote}; a third each)",
                    _ => $"mixed corridor/random-wall ({densityNote})",
                };
                Console.WriteLine($"generating {nTrain} + {nTest} {styleNote} mazes of {options.Size}x{options.Size}, shortest path > {options.EffectiveMinPathLength} moves{trainNote}{tieNote}, seed {parse.GetValue(seed)}");
                var stats = new MazeGenerationStats();
                (trainMazes, testMazes) = MazeDataset.Generate(options, nTrain, nTest, parse.GetValue(seed),
                    done => Console.WriteLine($"  {done}/{nTrain + nTest} mazes ({clock.Elapsed.TotalSeconds:F1} s)"), trainMin, stats);
                Console.WriteLine(options.Style == MazeStyle.Iid
                    ? $"  {stats.Grids:N0} random grids drawn for {nTrain + nTest:N0} mazes ({clock.Elapsed.TotalSeconds:F1} s, {(nTrain + nTest) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):N1} mazes/s), {stats.Duplicates} repeated mazes"
                    : $"  rejected {stats.Rejected} start-goal draws with several shortest paths, {stats.Duplicates} repeated mazes"
                      + (stats.AddedWalls > 0 ? $"; random-wall mazes: {(double)stats.AddedWalls / (nTrain + nTest):F1} walls added per maze on average to break ties and lengthen paths" : ""));
                bySize.Add((trainMazes, testMazes));
            }
            var dir = parse.GetValue(outDir)!;
            if (bySize.Count == 1)
            {
                var summary = MazeDataset.Write(dir, bySize[0].Train, bySize[0].Test, parse.GetValue(aug));
                PrintSummary(dir, summary, clock.Elapsed);
                return 0;
            }
            // Several sizes: one dataset folder per size (each readable by the authors' loaders), written together
            // into a temporary folder that replaces OUT at the end.
            var summaries = new List<(string Part, MazeDatasetSummary Summary)>();
            AtomicFile.WriteFolder(dir, "the dataset", tmp =>
            {
                foreach (var ((train, test), side) in bySize.Zip(sides))
                {
                    var part = $"{side}x{side}";
                    summaries.Add((part, MazeDataset.Write(Path.Combine(tmp, part), train, test, parse.GetValue(aug))));
                }
            });
            foreach (var (part, summary) in summaries) PrintSummary(Path.Combine(dir, part), summary, clock.Elapsed);
            Console.WriteLine($"{dir}: {summaries.Count} sizes ({string.Join(", ", summaries.Select(p => p.Part))}); `hrm train --data {dir}` trains on all of them, each batch one size");
            return 0;
        });
        return cmd;
    }

    static void PrintSummary(string dir, MazeDatasetSummary s, TimeSpan elapsed)
    {
        Console.WriteLine($"wrote {dir} in {elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"  train: {s.TrainMazes} mazes, {s.TrainPuzzles} puzzles/examples{(s.TrainPuzzles > s.TrainMazes ? " (8 dihedral versions each)" : "")}");
        Console.WriteLine($"  test:  {s.TestMazes} mazes");
        Console.WriteLine($"  grid {s.Size}x{s.Size}, seq_len {s.SeqLen}, vocab {s.VocabSize} (0 pad, '#' 1, ' ' 2, 'S' 3, 'G' 4, 'o' 5), puzzle identifiers 1");
        Console.WriteLine($"  mazes with several shortest paths: {s.TiedMazes} of {s.TrainMazes + s.TestMazes}");
        Console.WriteLine("  shortest path length (moves), both splits:");
        int lo = s.PathLengthCounts.Keys.Min(), hi = s.PathLengthCounts.Keys.Max();
        int width = Math.Max(1, (int)Math.Ceiling((hi - lo + 1) / 10.0));
        int total = s.PathLengthCounts.Values.Sum();
        for (int b = lo; b <= hi; b += width)
        {
            int count = s.PathLengthCounts.Where(kv => kv.Key >= b && kv.Key < b + width).Sum(kv => kv.Value);
            var label = width == 1 ? $"{b}" : $"{b}-{b + width - 1}";
            Console.WriteLine($"    {label,9} {count,7}  {new string('#', (int)Math.Round(40.0 * count / total))}");
        }
    }
}
