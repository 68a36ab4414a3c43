using Hrm.Data;

namespace Hrm.Tasks.Maze;

/// <summary>Summary of a built maze dataset, for printing.</summary>
public sealed record MazeDatasetSummary(int Size, int TrainMazes, int TrainPuzzles, int TestMazes, int SeqLen, int VocabSize,
    IReadOnlyDictionary<int, int> PathLengthCounts, int TiedMazes);

/// <summary>What generating a set cost: start-goal draws rejected for tied shortest paths, and repeated mazes dropped.</summary>
public sealed class MazeGenerationStats
{
    public long Rejected { get; internal set; }
    public int Duplicates { get; internal set; }
    /// <summary>Walls the random-wall style added to break ties and lengthen paths (0 for corridors).</summary>
    public long AddedWalls { get; internal set; }
    /// <summary>Random grids the iid style drew (most have no S-G pair far enough apart; 0 for other styles).</summary>
    public long Grids { get; internal set; }
}

/// <summary>
/// Maze datasets in the reference's directory format (build_maze_dataset.py): one example per puzzle, every puzzle
/// identifier 0 (identifiers.json is ["&lt;blank&gt;"]), one group per maze; with augmentation each training maze's
/// group holds its 8 dihedral transforms (identity first), each its own puzzle. The test split is never augmented.
/// </summary>
public static class MazeDataset
{
    /// <summary>
    /// <paramref name="train"/> + <paramref name="test"/> mazes from one seeded generator, no maze repeated within
    /// or across the splits. <paramref name="progress"/> gets the number of mazes done so far.
    /// <paramref name="trainMinPath"/>, if given, replaces the minimum shortest-path length for the training mazes
    /// only: a lower value mixes short mazes into training (an easy-to-hard curriculum) while the test split keeps the
    /// options' minimum. <paramref name="stats"/>, if given, receives the rejection and duplicate counts.
    /// </summary>
    public static (IReadOnlyList<MazePuzzle> Train, IReadOnlyList<MazePuzzle> Test) Generate(
        MazeGeneratorOptions options, int train, int test, int seed, Action<int>? progress = null, int? trainMinPath = null,
        MazeGenerationStats? stats = null)
    {
        if (train < 1 || test < 0) throw new HrmException($"need at least 1 training maze and 0 or more test mazes, got {train} and {test}");
        var testGenerator = new MazeGenerator(options);
        var trainGenerator = trainMinPath is null ? testGenerator : new MazeGenerator(options with { MinPathLength = trainMinPath });
        var rng = new Random(seed);
        var seen = new HashSet<string>();
        var all = new List<MazePuzzle>(train + test);
        int duplicates = 0;
        while (all.Count < train + test)
        {
            var maze = (all.Count < train ? trainGenerator : testGenerator).Next(rng);
            if (!seen.Add(MazeEncoding.Decode(maze.Input)))
            {
                if (++duplicates > 1000 + train + test) throw new HrmException($"only {all.Count} distinct {options.Size}x{options.Size} mazes found; ask for fewer");
                continue;
            }
            all.Add(maze);
            if (all.Count % 1000 == 0) progress?.Invoke(all.Count);
        }
        if (stats is not null)
        {
            stats.Rejected = testGenerator.Rejected + (ReferenceEquals(trainGenerator, testGenerator) ? 0 : trainGenerator.Rejected);
            stats.Duplicates = duplicates;
            stats.AddedWalls = testGenerator.AddedWalls + (ReferenceEquals(trainGenerator, testGenerator) ? 0 : trainGenerator.AddedWalls);
            stats.Grids = testGenerator.Grids + (ReferenceEquals(trainGenerator, testGenerator) ? 0 : trainGenerator.Grids);
        }
        return (all.GetRange(0, train), all.GetRange(train, test));
    }

    /// <summary>Builds the train and test splits (verifying every label) and writes them to <paramref name="dir"/>.</summary>
    public static MazeDatasetSummary Write(string dir, IReadOnlyList<MazePuzzle> train, IReadOnlyList<MazePuzzle> test, bool augment)
    {
        var (trainSplit, testSplit) = Build(train, test, augment);
        PuzzleDatasetDirectory.Write(dir, trainSplit, testSplit, new[] { "<blank>" }, MazeEncoding.VocabSize, ignoreLabelId: 0, task: "maze");
        var histogram = train.Concat(test).GroupBy(m => m.PathLength).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        int tied = train.Concat(test).Count(m => MazeSolver.ShortestPathCount(m.Input, m.Size) > 1);
        return new MazeDatasetSummary(train[0].Size, train.Count, trainSplit.PuzzleCount, test.Count, trainSplit.SeqLen,
            MazeEncoding.VocabSize, histogram, tied);
    }

    public static (PuzzleSplit Train, PuzzleSplit Test) Build(IReadOnlyList<MazePuzzle> train, IReadOnlyList<MazePuzzle> test, bool augment)
    {
        if (train.Count == 0) throw new HrmException("the training split has no mazes");
        int size = train[0].Size;
        foreach (var m in train.Concat(test))
        {
            if (m.Size != size) throw new HrmException($"all mazes must have one size: found {m.Size}x{m.Size} and {size}x{size}");
            if (MazeSolver.Verify(m.Input, m.Label, size) is string error) throw new HrmException($"invalid maze: {error}");
        }
        return (Split(train, size, augment), Split(test, size, augment: false));
    }

    static PuzzleSplit Split(IReadOnlyList<MazePuzzle> mazes, int size, bool augment)
    {
        var builder = new PuzzleSplitBuilder(size * size);
        foreach (var maze in mazes)
        {
            builder.BeginGroup();
            for (int id = 0; id < (augment ? Dihedral.Count : 1); id++)
            {
                var m = maze.Transform(id);
                builder.AddPuzzle(0, new[] { (m.Input, m.Label) });
            }
        }
        return builder.Build();
    }
}
