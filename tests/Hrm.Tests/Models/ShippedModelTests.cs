using Hrm.Evaluation;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

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

    static string SudokuDir => Path.Combine(TestPaths.RepoRoot, "models", "sudoku9");

    /// <summary>The 9x9 Sudoku model shipped in models/sudoku9 solves held-out puzzles that need a guess, alone and
    /// (better) with the test-time search its folder names as its default.</summary>
    [Fact]
    public void The_shipped_sudoku_model_solves_held_out_puzzles_and_searches_by_default()
    {
        var defaults = SearchOptions.ReadDefaults(SudokuDir);
        Assert.NotNull(defaults);
        Assert.True(defaults!.Samples > 1);
        using var plain = Solver.Load(SudokuDir);
        Assert.Equal("sudoku", plain.Task.Name);
        Assert.Equal(81, plain.Config.SeqLen);
        var puzzles = SudokuGenerator.Generate(SudokuShape.Size9, 6, new SudokuGeneratorOptions(SudokuDifficulty.Hard), seed: 20261206, threads: 1);
        var searching = plain.With(new SolverOptions { Search = defaults });
        int alone = 0, searched = 0;
        foreach (var p in puzzles)
        {
            var text = SudokuShape.Format(p.Cells);
            var a = plain.Solve(text);
            if (a.Valid) { alone++; Assert.Equal(SudokuShape.Format(p.Solution), a.Text.Replace("\n", "")); }
            var b = searching.Solve(text);
            Assert.Equal(defaults.Samples, b.Search!.Candidates.Count);
            if (b.Valid) searched++;
        }
        Assert.True(alone >= 3, $"one trajectory solved {alone} of 6 held-out hard puzzles, expected at least 3");
        Assert.True(searched >= Math.Max(alone, 5), $"the default search solved {searched} of 6 (one trajectory {alone})");
    }
}
