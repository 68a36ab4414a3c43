using Hrm.Evaluation;
using Hrm.Tasks.Maze;

namespace Hrm.Tests.Models;

/// <summary>
/// The maze model shipped in models/maze (TRM with grid_conv, trained on 11x11 mazes of both styles) loads on a fresh
/// clone and solves held-out mazes of its own size and, with the same weights, of a bigger one.
/// </summary>
public class ShippedModelTests
{
    static string ModelDir => Path.Combine(TestPaths.RepoRoot, "models", "maze");

    [Theory]
    [InlineData(11, MazeStyle.Walls, 6, 4)]
    [InlineData(11, MazeStyle.Corridors, 6, 3)]
    [InlineData(13, MazeStyle.Walls, 3, 1)]
    public void The_shipped_maze_model_loads_and_solves(int size, MazeStyle style, int count, int atLeast)
    {
        using var solver = Solver.Load(ModelDir);
        Assert.Equal("maze", solver.Task.Name);
        var (_, test) = MazeDataset.Generate(new MazeGeneratorOptions(size, Style: style), 1, count, seed: 20261203, stats: new MazeGenerationStats());
        int solved = 0;
        foreach (var maze in test)
        {
            var answer = solver.Solve(MazeEncoding.ToText(maze.Input, size));
            Assert.Equal((size, size), (answer.Rows, answer.Cols));
            Assert.Equal(MazeSolver.Verify(maze.Input, answer.Cells, size) is null, answer.Valid);
            if (answer.Valid) solved++;
        }
        Assert.True(solved >= atLeast, $"solved {solved} of {count} held-out {size}x{size} {style} mazes, expected at least {atLeast}");
    }
}
