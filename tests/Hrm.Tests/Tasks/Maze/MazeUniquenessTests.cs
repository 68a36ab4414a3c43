using Hrm.Data;
using Hrm.Tasks.Maze;

namespace Hrm.Tests.Tasks.Maze;

public class MazeUniquenessTests
{
    /// <summary>
    /// Number of shortest S-G paths, written independently of MazeSolver: layer by layer (a frontier set per
    /// distance, not a queue), every open neighbour of the frontier not seen before joins the next layer and
    /// inherits the sum of its frontier neighbours' counts. Uncapped (long) so ties are counted exactly.
    /// </summary>
    static long CountShortestPaths(int[] grid, int n)
    {
        int s = Array.IndexOf(grid, MazeEncoding.Start), g = Array.IndexOf(grid, MazeEncoding.Goal);
        var count = new Dictionary<int, long> { [s] = 1 };
        var seen = new HashSet<int> { s };
        var layer = new List<int> { s };
        while (layer.Count > 0 && !seen.Contains(g))
        {
            var next = new Dictionary<int, long>();
            foreach (int cell in layer)
            {
                int r = cell / n, c = cell % n;
                foreach (var (dr, dc) in new[] { (-1, 0), (1, 0), (0, -1), (0, 1) })
                {
                    int rr = r + dr, cc = c + dc;
                    if (rr < 0 || rr >= n || cc < 0 || cc >= n) continue;
                    int nb = rr * n + cc;
                    if (grid[nb] == MazeEncoding.Wall || seen.Contains(nb)) continue;
                    next[nb] = next.GetValueOrDefault(nb) + count[cell];
                }
            }
            foreach (var (cell, k) in next) { seen.Add(cell); count[cell] = k; }
            layer = next.Keys.ToList();
        }
        return count.GetValueOrDefault(g);
    }

    [Theory]
    [InlineData(9, null, 300)]
    [InlineData(11, null, 200)]
    [InlineData(30, 110, 60)]
    public void GeneratedMazesHaveAUniqueShortestPath(int size, int? minPath, int count)
    {
        var options = new MazeGeneratorOptions(size, minPath);
        var stats = new MazeGenerationStats();
        var (train, test) = MazeDataset.Generate(options, count, 20, seed: 12, stats: stats);
        foreach (var m in train.Concat(test))
        {
            Assert.Equal(1, CountShortestPaths(m.Input, size));
            Assert.Null(MazeSolver.Verify(m.Input, m.Label, size));
            Assert.True(m.PathLength > options.EffectiveMinPathLength);
        }
        Assert.True(stats.Rejected > 0, "the loops make some draws tie, so some must have been rejected");
    }

    [Fact]
    public void AllowTiesKeepsTiedMazesAndTheCappedCountAgreesWithTheIndependentOne()
    {
        var (mazes, _) = MazeDataset.Generate(new MazeGeneratorOptions(30, 110, AllowTies: true), 60, 0, seed: 12);
        var exact = mazes.Select(m => CountShortestPaths(m.Input, 30)).ToList();
        Assert.True(exact.Count(k => k > 1) >= 20, $"only {exact.Count(k => k > 1)} of 60 tied");   // about 3 in 4 tie
        for (int i = 0; i < mazes.Count; i++)
        {
            Assert.Equal(Math.Min(exact[i], 2), MazeSolver.ShortestPathCount(mazes[i].Input, 30));
            Assert.Equal(Math.Min(exact[i], 1000), MazeSolver.ShortestPathCount(mazes[i].Input, 30, cap: 1000));
            Assert.Null(MazeSolver.Verify(mazes[i].Input, mazes[i].Label, 30));
        }
    }

    // S . . .
    // . # . .
    // . . . .
    // . . . G     shortest path 6 moves, many of them
    static readonly int[] Open4 = MazeEncoding.Encode("S    #         G");

    [Fact]
    public void ValidAccuracyAcceptsAnyShortestPathOnATiedMazeAndRejectsALongerOne()
    {
        // C(6,3) = 20 monotone paths, less the 2 x 6 through the wall at (1,1).
        Assert.Equal(8, CountShortestPaths(Open4, 4));
        Assert.Equal(8, MazeSolver.ShortestPathCount(Open4, 4, cap: 100));
        var label = MazeSolver.Solve(Open4, 4);
        var alternative = MazeEncoding.Encode("Sooo # o   o   G");   // right along the top, then down
        var longer = MazeEncoding.Encode("Soo  #o  oo  ooG");      // 8 moves: right, down, back left, down, right
        Assert.NotEqual(label, alternative);
        Assert.True(MazeSolver.IsValidAnswer(Open4, label, 4));
        Assert.True(MazeSolver.IsValidAnswer(Open4, alternative, 4));
        Assert.False(MazeSolver.IsValidAnswer(Open4, longer, 4));
        Assert.Contains("8 moves, the shortest path has 6", MazeSolver.Verify(Open4, longer, 4));
        var rows = new[] { (Open4, label), (Open4, alternative), (Open4, longer), (Open4, (int[])Open4.Clone()) };
        Assert.Equal(0.5, MazeSolver.ValidAccuracy(rows, 4));
        Assert.Equal(0, MazeSolver.ValidAccuracy([], 4));
    }

    [Fact]
    public void ValidAnswerMustKeepEveryNonPathCell()
    {
        var alternative = MazeEncoding.Encode("Sooo # o   o   G");
        Assert.True(MazeSolver.IsValidAnswer(Open4, alternative, 4));
        var wallDropped = MazeEncoding.Encode("Sooo   o   o   G");   // the wall at cell 5 left open
        var startLost = MazeEncoding.Encode(" ooo # o   o   G");
        var throughWall = (int[])alternative.Clone();
        throughWall[5] = MazeEncoding.Path;
        Assert.False(MazeSolver.IsValidAnswer(Open4, wallDropped, 4));
        Assert.False(MazeSolver.IsValidAnswer(Open4, startLost, 4));
        Assert.Contains("label marks cell 5 ('#' in the input) as path", MazeSolver.Verify(Open4, throughWall, 4));
        var padded = (int[])alternative.Clone();
        padded[7] = MazeEncoding.Pad;
        Assert.False(MazeSolver.IsValidAnswer(Open4, padded, 4));
    }

    static string WriteMazeDataset(TempDirectory tmp, Func<int, int[], int[], int[]> corrupt, bool allowTies = false)
    {
        var (train, test) = MazeDataset.Generate(new MazeGeneratorOptions(9, AllowTies: allowTies), 30, 10, seed: 3);
        var dir = Path.Combine(tmp.Path, "maze");
        PuzzleSplit Split(IReadOnlyList<MazePuzzle> mazes, int offset)
        {
            var builder = new PuzzleSplitBuilder(81);
            for (int i = 0; i < mazes.Count; i++)
            {
                builder.BeginGroup();
                builder.AddPuzzle(0, new[] { (mazes[i].Input, corrupt(offset + i, mazes[i].Input, mazes[i].Label)) });
            }
            return builder.Build();
        }
        PuzzleDatasetDirectory.Write(dir, Split(train, 0), Split(test, 30), new[] { "<blank>" }, MazeEncoding.VocabSize, ignoreLabelId: 0);
        return dir;
    }

    static readonly DatasetChecker Checker = new(new IDatasetCheck[] { new MazeDatasetCheck() });

    [Fact]
    public void CheckerPassesAGeneratedSetAndCountsTies()
    {
        using var tmp = new TempDirectory();
        var report = Checker.Check(WriteMazeDataset(tmp, (_, _, label) => label));
        Assert.Empty(report.Problems);
        Assert.Equal(new[] { "maze" }, report.TaskChecks);
        Assert.Contains("train/all: 0 of 30 mazes have several shortest paths (the label marks one)", report.Notes!);

        var (tiedSet, _) = MazeDataset.Generate(new MazeGeneratorOptions(9, AllowTies: true), 30, 10, seed: 3);
        int tied = tiedSet.Count(m => CountShortestPaths(m.Input, 9) > 1);
        var tiedReport = Checker.Check(WriteMazeDataset(tmp, (_, _, label) => label, allowTies: true));
        Assert.Empty(tiedReport.Problems);
        Assert.Contains($"train/all: {tied} of 30 mazes have several shortest paths (the label marks one)", tiedReport.Notes!);
    }

    [Fact]
    public void CheckerFindsACorruptedLabelANonShortestPathAndAPathThroughAWall()
    {
        using var tmp = new TempDirectory();
        var dir = WriteMazeDataset(tmp, (row, input, label) =>
        {
            var bad = (int[])label.Clone();
            switch (row)
            {
                case 2:   // a wall of the label turned into an open cell
                    bad[Array.FindIndex(bad, t => t == MazeEncoding.Wall)] = MazeEncoding.Open;
                    break;
                case 5:   // one more open cell marked next to the path: connected, but longer than shortest
                    bad[Array.FindIndex(bad, t => t == MazeEncoding.Open)] = MazeEncoding.Path;
                    break;
                case 33:  // a wall marked as path
                    bad[Array.FindIndex(bad, t => t == MazeEncoding.Wall)] = MazeEncoding.Path;
                    break;
                case 7:   // the goal dropped
                    bad[Array.IndexOf(bad, MazeEncoding.Goal)] = MazeEncoding.Open;
                    break;
            }
            return bad;
        });
        var problems = Checker.Check(dir).Problems.Select(p => p.ToString()).ToList();
        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("train/all__labels.npy row 2: label differs from the input at cell"));
        Assert.Contains(problems, p => p.StartsWith("train/all__labels.npy row 5: marked path has"));
        Assert.Contains(problems, p => p.StartsWith("train/all__labels.npy row 7: label differs from the input at cell"));
        Assert.Contains(problems, p => p.StartsWith("test/all__labels.npy row 3: label marks cell") && p.Contains("('#' in the input) as path"));
    }

    [Fact]
    public void CsvImportCountsAndOptionallyDropsTiedMazes()
    {
        using var tmp = new TempDirectory();
        var (unique, _) = MazeDataset.Generate(new MazeGeneratorOptions(9), 5, 0, seed: 9);
        var path = tmp.File("mazes.csv");
        var tiedLabel = MazeSolver.Solve(Open4, 4);
        // Row 2: a corridor along the top, down the right and back along row 2, the only way.
        File.WriteAllLines(path, ["source,question,answer,rating",
            $"x,{MazeEncoding.Decode(Open4)},{MazeEncoding.Decode(tiedLabel)},6", "x,S   ### G   ####,Sooo###oGooo####,8"]);
        var mixed = MazeCsv.Import(path, uniqueOnly: false);
        Assert.Equal((2, 1, 0, 2), (mixed.Rows, mixed.Tied, mixed.Dropped, mixed.Mazes.Count));
        var kept = MazeCsv.Import(path, uniqueOnly: true);
        Assert.Equal((2, 1, 1), (kept.Rows, kept.Tied, kept.Dropped));
        Assert.Equal(MazeEncoding.Encode("S   ### G   ####"), Assert.Single(kept.Mazes).Input);
        Assert.Contains("1 with several shortest paths (50.0%)", kept.ToString());

        var uniquePath = tmp.File("unique.csv");
        MazeCsv.Write(uniquePath, unique);
        Assert.Equal((5, 0), (MazeCsv.Import(uniquePath, uniqueOnly: true).Rows, MazeCsv.Import(uniquePath, uniqueOnly: true).Tied));
    }

    [Fact]
    public void DifficultyIsTheShortestPathInMovesAndBucketsCoverEveryRow()
    {
        var task = new MazeTask(3);
        var maze = task.Parse("S #\n  #\n  G");   // S (0,0) -> (2,2): 4 moves
        Assert.Equal("path_length", task.DifficultyMeasure);
        Assert.Equal(4, task.Difficulty(maze));
        var noGoal = maze.Select(t => t == MazeEncoding.Goal ? MazeEncoding.Open : t).ToArray();
        Assert.Null(task.Difficulty(noGoal));

        var rows = Enumerable.Range(10, 23).Select(v => new Hrm.Evaluation.DifficultyRow(v, 2, v % 2, 1, 1.5)).ToList();
        var buckets = Hrm.Evaluation.DifficultyRow.Bucket(rows, 8);
        Assert.InRange(buckets.Count, 1, 8);
        Assert.Equal(10, buckets[0].From);
        Assert.Equal(32, buckets[^1].To);
        Assert.Equal(rows.Sum(r => r.Count), buckets.Sum(b => b.Row.Count));
        Assert.Equal(rows.Sum(r => r.Exact), buckets.Sum(b => b.Row.Exact));
        for (int k = 1; k < buckets.Count; k++) Assert.Equal(buckets[k - 1].To + 1, buckets[k].From);
    }
}
