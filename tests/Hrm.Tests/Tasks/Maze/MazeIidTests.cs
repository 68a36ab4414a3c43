using Hrm.Tasks;
using Hrm.Tasks.Maze;
using Hrm.Tests.Cli;

namespace Hrm.Tests.Tasks.Maze;

/// <summary>
/// Mazes of the paper's kind (`hrm data maze --style iid`): walls on independent random cells at 30-50% and nothing
/// added, S and G farther apart than the minimum, ties kept; the label is one shortest path and the rule check
/// (valid accuracy) accepts any shortest path and nothing longer.
/// </summary>
public class MazeIidTests
{
    static double WallFraction(MazePuzzle m) => m.Input.Count(t => t == MazeEncoding.Wall) / (double)m.Input.Length;

    static (IReadOnlyList<MazePuzzle> Train, IReadOnlyList<MazePuzzle> Test, MazeGenerationStats Stats) Generate(MazeGeneratorOptions o, int train, int test, int seed)
    {
        var stats = new MazeGenerationStats();
        var (a, b) = MazeDataset.Generate(o, train, test, seed, stats: stats);
        return (a, b, stats);
    }

    [Theory]
    [InlineData(11, 150)]
    [InlineData(30, 4)]   // the paper's Maze-Hard: 30x30, shortest path longer than 110
    public void Iid_mazes_have_random_walls_in_the_range_a_long_shortest_path_and_keep_ties(int size, int count)
    {
        var options = new MazeGeneratorOptions(size, Style: MazeStyle.Iid);
        Assert.True(options.KeepsTies);
        var (train, test, stats) = Generate(options, count, 2, seed: 7);
        var all = train.Concat(test).ToList();
        foreach (var m in all)
        {
            Assert.Null(MazeSolver.Verify(m.Input, m.Label, size));
            Assert.True(m.PathLength > options.EffectiveMinPathLength, $"path {m.PathLength}");
            Assert.Equal(m.PathLength, MazeSolver.ShortestPathLength(m.Input, size));
            Assert.Equal(1, m.Input.Count(t => t == MazeEncoding.Start));
            Assert.Equal(1, m.Input.Count(t => t == MazeEncoding.Goal));
            // Each maze draws its density from 0.3-0.5; the drawn fraction scatters by a few binomial deviations.
            Assert.InRange(WallFraction(m), 0.3 - 4 * Math.Sqrt(0.25 / m.Input.Length), 0.5 + 4 * Math.Sqrt(0.25 / m.Input.Length));
        }
        Assert.InRange(all.Average(WallFraction), 0.3, 0.5);
        // Nothing is added to a drawn grid and no draw is rejected for a tie: ties are kept, and most long paths tie.
        Assert.Equal(0, stats.AddedWalls);
        Assert.Equal(0, stats.Rejected);
        Assert.True(stats.Grids >= all.Count);
        int tied = all.Count(m => MazeSolver.ShortestPathCount(m.Input, size) > 1);
        Assert.True(tied * 2 > all.Count, $"only {tied} of {all.Count} mazes tie");
    }

    [Fact]
    public void A_fixed_density_is_the_fraction_of_walls_on_average()
    {
        var (train, _, _) = Generate(new MazeGeneratorOptions(11, Style: MazeStyle.Iid, WallDensityMin: 0.4, WallDensityMax: 0.4), 200, 0, seed: 2);
        Assert.InRange(train.Average(WallFraction), 0.37, 0.43);
    }

    [Fact]
    public void The_same_seed_gives_the_same_mazes_and_another_seed_others()
    {
        var o = new MazeGeneratorOptions(11, Style: MazeStyle.Iid);
        var a = Generate(o, 30, 5, seed: 9);
        var b = Generate(o, 30, 5, seed: 9);
        var c = Generate(o, 30, 5, seed: 10);
        Assert.Equal(a.Train.SelectMany(m => m.Label), b.Train.SelectMany(m => m.Label));
        Assert.Equal(a.Test.SelectMany(m => m.Input), b.Test.SelectMany(m => m.Input));
        Assert.NotEqual(a.Train.SelectMany(m => m.Input), c.Train.SelectMany(m => m.Input));
    }

    /// <summary>One shortest path, ties broken the other way round from <see cref="MazeSolver.Solve"/> (from S, the
    /// first of right, left, down, up that gets closer to G).</summary>
    static int[] OtherShortestPath(int[] input, int n)
    {
        int s = Array.IndexOf(input, MazeEncoding.Start), g = Array.IndexOf(input, MazeEncoding.Goal);
        var toGoal = MazeSolver.Distances(input, n, g);
        var answer = (int[])input.Clone();
        int cell = s;
        while (toGoal[cell] > 1)
        {
            int r = cell / n, c = cell % n, want = toGoal[cell] - 1;
            if (c < n - 1 && toGoal[cell + 1] == want) cell += 1;
            else if (c > 0 && toGoal[cell - 1] == want) cell -= 1;
            else if (r < n - 1 && toGoal[cell + n] == want) cell += n;
            else cell -= n;
            answer[cell] = MazeEncoding.Path;
        }
        return answer;
    }

    [Fact]
    public void The_rule_check_accepts_another_shortest_path_of_a_tied_maze_and_rejects_a_longer_answer()
    {
        const int n = 30;
        var (mazes, _, _) = Generate(new MazeGeneratorOptions(n, Style: MazeStyle.Iid), 3, 0, seed: 21);
        // Evaluation's valid_accuracy asks the task of the model's dataset ("maze", seq 900) for its rule check.
        var task = TaskRegistry.FromName("maze", n * n, MazeEncoding.VocabSize);
        int alternatives = 0;
        foreach (var m in mazes)
        {
            Assert.Null(task.Check(m.Input, m.Label));
            var other = OtherShortestPath(m.Input, n);
            Assert.Null(task.Check(m.Input, other));
            if (!other.SequenceEqual(m.Label)) alternatives++;
            // One more marked open cell next to the path: a longer answer, refused.
            int extra = Enumerable.Range(0, n * n).First(i => other[i] == MazeEncoding.Open
                && new[] { i - n, i + n, i % n > 0 ? i - 1 : -1, i % n < n - 1 ? i + 1 : -1 }.Any(j => j >= 0 && j < n * n && other[j] == MazeEncoding.Path));
            var longer = (int[])other.Clone();
            longer[extra] = MazeEncoding.Path;
            Assert.Contains($"marked path has {m.PathLength + 1} moves, the shortest path has {m.PathLength}", task.Check(m.Input, longer));
            Assert.Equal(2.0 / 3, MazeSolver.ValidAccuracy([(m.Input, m.Label), (m.Input, other), (m.Input, longer)], n), 9);
        }
        Assert.True(alternatives > 0, "no maze had a second shortest path found by the other tie-break");
    }

    [Fact]
    public void Hrm_data_maze_style_iid_builds_a_checked_dataset_with_ties()
    {
        using var tmp = new TempDirectory();
        var dir = Path.Combine(tmp.Path, "m");
        var r = CliHarness.Ok("data", "maze", "--out", dir, "--style", "iid", "--size", "11", "--train", "40", "--test", "10", "--seed", "3");
        Assert.Contains("iid random-wall (density 0.3-0.5, nothing added)", r.Out);
        Assert.Contains("ties kept", r.Out);
        Assert.Contains("random grids drawn for 50 mazes", r.Out);
        Assert.Matches(@"mazes with several shortest paths: [1-9]\d* of 50", r.Out);
        CliHarness.Ok("data", "check", dir);
        // --keep-ties is the other name of --allow-ties.
        CliHarness.Ok("data", "maze", "--out", Path.Combine(tmp.Path, "k"), "--style", "walls", "--keep-ties", "--size", "11", "--train", "5", "--test", "1");
        CliHarness.Fails("--style must be corridors, walls, iid, mixed or all, not 'random'", "data", "maze", "--out", Path.Combine(tmp.Path, "x"), "--style", "random");
        CliHarness.Fails("--wall-density must be a fraction", "data", "maze", "--out", Path.Combine(tmp.Path, "x"), "--style", "iid", "--wall-density", "lots");
    }
}
