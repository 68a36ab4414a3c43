using Hrm.Data;
using Hrm.Tasks.Maze;

namespace Hrm.Tests.Tasks.Maze;

/// <summary>Random-wall mazes (--style walls, the kind behind the paper's Maze-Hard) and the mixed style.</summary>
public class MazeStyleTests
{
    static double WallFraction(MazePuzzle m) => m.Input.Count(t => t == MazeEncoding.Wall) / (double)m.Input.Length;

    [Theory]
    [InlineData(11, 200)]
    [InlineData(20, 40)]
    public void Random_wall_mazes_have_a_unique_long_shortest_path(int size, int count)
    {
        var options = new MazeGeneratorOptions(size, Style: MazeStyle.Walls);
        var (train, test) = MazeDataset.Generate(options, count, 10, seed: 3, stats: new MazeGenerationStats());
        foreach (var m in train.Concat(test))
        {
            Assert.Null(MazeSolver.Verify(m.Input, m.Label, size));
            Assert.True(m.PathLength > options.EffectiveMinPathLength);
            var (dist, paths) = MazeSolver.CountShortestPaths(m.Input.Select(t => t is MazeEncoding.Start or MazeEncoding.Goal ? MazeEncoding.Open : t).ToArray(),
                size, Array.IndexOf(m.Input, MazeEncoding.Start));
            Assert.Equal(1, paths[Array.IndexOf(m.Input, MazeEncoding.Goal)]);
        }
        // Walls on random cells: at least the drawn density (walls are only ever added), never a carved lattice.
        double mean = train.Average(WallFraction);
        Assert.InRange(mean, MazeGeneratorOptions.DefaultWallDensityMin, 0.75);
    }

    [Fact]
    public void The_wall_density_is_the_one_asked_for_and_mixed_gives_both_styles()
    {
        var dense = MazeDataset.Generate(new MazeGeneratorOptions(11, MinPathLength: 0, Style: MazeStyle.Walls, WallDensityMin: 0.45, WallDensityMax: 0.45), 100, 0, seed: 5, stats: new MazeGenerationStats()).Train;
        var sparse = MazeDataset.Generate(new MazeGeneratorOptions(11, MinPathLength: 0, Style: MazeStyle.Walls, WallDensityMin: 0.2, WallDensityMax: 0.2), 100, 0, seed: 5, stats: new MazeGenerationStats()).Train;
        Assert.True(dense.Average(WallFraction) > sparse.Average(WallFraction) + 0.15);
        Assert.InRange(sparse.Average(WallFraction), 0.2, 0.3);

        // An odd-sided corridor maze carves rooms on even rows and columns, so every cell of odd row and odd column
        // stays a wall; random walls almost never cover all 25 of them on 11x11. The mixed style shows both.
        static bool Carved(MazePuzzle m) => Enumerable.Range(0, m.Input.Length).All(i => (i / 11) % 2 == 0 || (i % 11) % 2 == 0 || m.Input[i] == MazeEncoding.Wall);
        var mixed = MazeDataset.Generate(new MazeGeneratorOptions(11, Style: MazeStyle.Mixed), 200, 0, seed: 6, stats: new MazeGenerationStats()).Train;
        int carved = mixed.Count(Carved);
        Assert.InRange(carved, 40, 160);
    }

    [Fact]
    public void The_all_style_draws_corridors_walls_and_iid_mazes_and_keeps_ties_on_the_iid_ones()
    {
        var options = new MazeGeneratorOptions(11, Style: MazeStyle.All);
        Assert.True(options.KeepsTies);
        Assert.Equal(MazeStyle.All, MazeStyles.Parse("all"));
        var mazes = MazeDataset.Generate(options, 300, 0, seed: 7, stats: new MazeGenerationStats()).Train;
        static bool Carved(MazePuzzle m) => Enumerable.Range(0, m.Input.Length).All(i => (i / 11) % 2 == 0 || (i % 11) % 2 == 0 || m.Input[i] == MazeEncoding.Wall);
        static int Paths(MazePuzzle m) => MazeSolver.CountShortestPaths(m.Input.Select(t => t is MazeEncoding.Start or MazeEncoding.Goal ? MazeEncoding.Open : t).ToArray(),
            11, Array.IndexOf(m.Input, MazeEncoding.Start)).Count[Array.IndexOf(m.Input, MazeEncoding.Goal)];
        Assert.InRange(mazes.Count(Carved), 50, 150);         // about a third are corridor mazes
        Assert.InRange(mazes.Count(m => Paths(m) > 1), 10, 200);   // some iid ones tie; corridor and walls ones never do
        Assert.All(mazes, m => Assert.Null(MazeSolver.Verify(m.Input, m.Label, 11)));
        Assert.Contains("all", Assert.Throws<HrmException>(() => MazeStyles.Parse("every")).Message);
    }

    [Fact]
    public void The_same_seed_gives_the_same_mazes()
    {
        var o = new MazeGeneratorOptions(11, Style: MazeStyle.Mixed);
        var a = MazeDataset.Generate(o, 30, 5, seed: 9, stats: new MazeGenerationStats());
        var b = MazeDataset.Generate(o, 30, 5, seed: 9, stats: new MazeGenerationStats());
        Assert.Equal(a.Train.SelectMany(m => m.Input), b.Train.SelectMany(m => m.Input));
        Assert.Equal(a.Test.SelectMany(m => m.Label), b.Test.SelectMany(m => m.Label));
    }

    [Theory]
    [InlineData("0.6-0.3")]
    [InlineData("1.2")]
    [InlineData("abc")]
    public void A_bad_density_is_refused(string text) => Assert.Throws<HrmException>(() =>
    {
        var (lo, hi) = MazeGeneratorOptions.ParseDensity(text);
        new MazeGeneratorOptions(11, Style: MazeStyle.Walls, WallDensityMin: lo, WallDensityMax: hi).Validate();
    });
}
