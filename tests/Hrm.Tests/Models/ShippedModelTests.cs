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

    /// <summary>The maze model carries its own halting rule (inference_halt stable: its answers settle within a few
    /// segments and then wander on grids far bigger than its training's), so plain `hrm eval` stops each maze when its
    /// answer stops changing; `--halt-rule full` still runs the whole budget.</summary>
    [Fact]
    public void The_shipped_maze_model_evaluates_with_its_own_halting_rule()
    {
        using var tmp = new TempDirectory();
        var data = tmp.File("d11");
        Hrm.Tests.Cli.CliHarness.Ok("data", "maze", "--size", "11", "--style", "walls", "--train", "1", "--test", "12", "--seed", "5", "--out", data);
        using (var solver = Solver.Load(ModelDir)) Assert.Equal(HaltRule.Stable, solver.Options.Halt!.Rule);
        double Segments(params string[] extra)
        {
            var json = tmp.File($"e{extra.Length}.json");
            Hrm.Tests.Cli.CliHarness.Ok(["eval", "--checkpoint", ModelDir, "--data", data, "--threads", "1", "--json", json, .. extra]);
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
            return doc.RootElement.GetProperty("all").GetProperty("mean_segments").GetDouble();
        }
        Assert.True(Segments() < 24, "the model's own rule stops early");
        Assert.Equal(24, Segments("--halt-rule", "full"));
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
