using Hrm.Tasks.Sudoku;
using Hrm.Tests.Cli;

namespace Hrm.Tests.Tasks.Sudoku;

/// <summary>
/// Sudoku-Extreme-grade generation (`hrm data sudoku --difficulty extreme` / `--min-rating R`): minimal puzzles with a
/// unique solution whose rating (our solver's guesses) reaches the threshold, seeded, with clear one-line errors.
/// </summary>
public class SudokuExtremeTests
{
    static readonly SudokuShape Shape = SudokuShape.Size9;

    [Fact]
    public void Extreme_puzzles_are_unique_minimal_and_rated_at_least_the_default_threshold()
    {
        var options = new SudokuGeneratorOptions(SudokuDifficulty.Extreme);
        Assert.Equal(SudokuGeneratorOptions.DefaultExtremeRating, options.EffectiveMinRating);
        var stats = new SudokuGenerationStats();
        var puzzles = SudokuGenerator.Generate(Shape, 6, options, seed: 11, threads: 1, stats: stats);
        var solver = new SudokuSolver(Shape);
        var baseline = new BacktrackingSolver(Shape);
        foreach (var p in puzzles)
        {
            Assert.True(p.Rating >= 20, $"rating {p.Rating}");
            var r = solver.Solve(p.Cells);
            Assert.Equal(1, r.Solutions);
            Assert.Equal(p.Rating, r.Guesses);
            Assert.Equal(p.Solution, r.Solution);
            // An independent check of uniqueness: plain backtracking, no propagation.
            var (count, first) = baseline.Solve(p.Cells);
            Assert.Equal(1, count);
            Assert.Equal(p.Solution, first);
            // Minimal: every clue is needed.
            for (int i = 0; i < p.Cells.Length; i++)
            {
                if (p.Cells[i] == 0) continue;
                var fewer = (int[])p.Cells.Clone();
                fewer[i] = 0;
                Assert.Equal(2, solver.Solve(fewer).Solutions);
            }
        }
        // Hard puzzles are rare among random minimal ones (about 1 in 30): the stats say how many were made.
        Assert.Equal(6, stats.Kept);
        Assert.True(stats.Candidates > 6 * 5, $"{stats.Candidates} candidates");
        Assert.Contains("random minimal candidates", stats.ToString());
    }

    [Fact]
    public void A_min_rating_is_a_threshold_and_the_same_seed_gives_the_same_puzzles_on_any_thread_count()
    {
        var options = new SudokuGeneratorOptions(MinRating: 30);
        string Run(int seed, int threads) => string.Join("|", SudokuGenerator.Generate(Shape, 3, options, seed, threads: threads)
            .Select(p => $"{SudokuShape.Format(p.Cells)}:{p.Rating}"));
        var one = Run(5, 1);
        Assert.Equal(one, Run(5, 2));
        Assert.NotEqual(one, Run(6, 1));
        Assert.All(one.Split('|'), entry => Assert.True(int.Parse(entry.Split(':')[1]) >= 30, entry));
    }

    /// <summary>The restricted search the generator uses ("a solution with another digit in this cell?") decides, for
    /// a unique puzzle less one clue, uniqueness exactly as counting solutions to 2 does.</summary>
    [Fact]
    public void The_generators_uniqueness_test_agrees_with_counting_solutions()
    {
        var solver = new SudokuSolver(Shape);
        var generator = new SudokuGenerator(Shape);
        var random = new Random(3);
        int unique = 0, several = 0;
        for (int k = 0; k < 40; k++)
        {
            var p = generator.GenerateOne(random);
            var cells = (int[])p.Cells.Clone();
            // A unique puzzle: the minimal one and 0 to 12 more clues of its solution.
            foreach (int i in Enumerable.Range(0, Shape.Cells).Where(i => cells[i] == 0).OrderBy(_ => random.Next()).Take(random.Next(13)))
                cells[i] = p.Solution[i];
            int cell = Enumerable.Range(0, Shape.Cells).Where(i => cells[i] != 0).OrderBy(_ => random.Next()).First();
            cells[cell] = 0;
            bool other = solver.HasSolutionWithout(cells, cell, p.Solution[cell]);
            bool isUnique = solver.Solve(cells, 2).Solutions == 1;
            Assert.Equal(isUnique, !other);
            if (isUnique) unique++; else several++;
        }
        Assert.True(unique > 0 && several > 0, $"{unique} unique, {several} with several solutions");
        Assert.Throws<ArgumentException>(() => solver.HasSolutionWithout(solver.Solve(new int[Shape.Cells], 1).Solution!, 0, 1));
    }

    /// <summary>The threshold set against puzzles everyone calls hard: the hardest published ones rate far above it,
    /// a newspaper puzzle rates 0.</summary>
    [Theory]
    [InlineData("8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..")]   // Inkala 2012
    [InlineData("1....7.9..3..2...8..96..5....53..9...1..8...26....4...3......1..4......7..7...3..")]   // AI Escargot
    [InlineData("1.......2.9.4...5...6...7...5.9.3.......7.......85..4.7.....6...3...9.8...2.....1")]   // Easter Monster
    public void The_hardest_published_puzzles_are_extreme_on_our_scale(string puzzle)
    {
        var solver = new SudokuSolver(Shape);
        var r = solver.Solve(Shape.Parse(puzzle));
        Assert.True(r.IsUnique);
        Assert.True(r.Guesses >= 5 * SudokuGeneratorOptions.DefaultExtremeRating, $"rating {r.Guesses}");
        Assert.Equal(0, solver.Solve(Shape.Parse("53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79")).Guesses);
    }

    [Theory]
    [InlineData(SudokuDifficulty.Any, -1, null, null, "min_rating must be >= 0")]
    [InlineData(SudokuDifficulty.Easy, 5, null, null, "contradicts min_rating 5")]
    [InlineData(SudokuDifficulty.Any, null, -2, null, "min_clues must be 0..81")]
    [InlineData(SudokuDifficulty.Any, null, null, 82, "max_clues must be 0..81")]
    [InlineData(SudokuDifficulty.Any, null, 30, 20, "min_clues 30 is above max_clues 20")]
    [InlineData((SudokuDifficulty)7, null, null, null, "difficulty must be")]
    public void Bad_options_are_refused_with_one_line(SudokuDifficulty difficulty, int? minRating, int? minClues, int? maxClues, string expected)
    {
        var e = Assert.Throws<HrmException>(() => SudokuGenerator.Generate(Shape, 1, new SudokuGeneratorOptions(difficulty, minRating, minClues, maxClues), 0));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain("--", e.Message);   // the library names keys; the CLI names its flags (Hrm.Cli.Flags)
    }

    [Fact]
    public void A_threshold_no_puzzle_of_the_size_reaches_fails_fast_naming_the_highest_rating()
    {
        // Every minimal 4x4 puzzle is solved by singles: after HopelessAfter candidates the generator gives up.
        var e = Assert.Throws<HrmException>(() => SudokuGenerator.Generate(SudokuShape.Size4, 100, new SudokuGeneratorOptions(SudokuDifficulty.Extreme), 0, threads: 1));
        Assert.Contains($"none of {SudokuGenerator.HopelessAfter}", e.Message);
        Assert.Contains("highest rating among them was 0", e.Message);
    }

    [Fact]
    public void Hrm_data_sudoku_extreme_writes_a_checked_dataset_and_prints_rates_and_the_rating_histogram()
    {
        using var tmp = new TempDirectory();
        var dir = Path.Combine(tmp.Path, "sx");
        var r = CliHarness.Ok("data", "sudoku", "--out", dir, "--difficulty", "extreme", "--train", "3", "--test", "2", "--threads", "1", "--seed", "4", "--quiet");
        Assert.Contains("generated train: 3 kept of", r.Out);
        Assert.Contains("per CPU second", r.Out);
        Assert.Contains("rating histogram (our solver's guesses)", r.Out);
        Assert.Matches(@"\n\s+(16-31|32-63|64-127|128-255|256-511): \d", r.Out);
        Assert.DoesNotMatch(@"\n\s+(0|1-3|4-7|8-15): \d", r.Out);
        var data = Hrm.Data.PuzzleSet.Read(dir, "test", Hrm.Data.PuzzleDatasetDirectory.ReadMetadata(dir, "test"));
        var solver = new SudokuSolver(Shape);
        for (int row = 0; row < data.Data.ExampleCount; row++)
        {
            var puzzle = Shape.Decode(data.Data.Input(row))!;
            var result = solver.Solve(puzzle);
            Assert.True(result.IsUnique);
            Assert.True(result.Guesses >= 20);
            Assert.Equal(Shape.Decode(data.Data.Label(row)), result.Solution);
        }
        CliHarness.Ok("data", "check", dir);
    }

    [Theory]
    [InlineData("--difficulty must be any, easy, hard or extreme, not 'brutal'", "--difficulty", "brutal")]
    [InlineData("--min-rating must be >= 0, got -3", "--min-rating", "-3")]
    [InlineData("--threads must be >= 0", "--threads", "-1")]
    [InlineData("--max-clues must be 0..16", "--size", "4", "--max-clues", "17")]
    public void Hrm_data_sudoku_refuses_bad_values_with_one_line(string expected, params string[] args)
    {
        using var tmp = new TempDirectory();
        CliHarness.Fails(expected, ["data", "sudoku", "--out", Path.Combine(tmp.Path, "x"), "--train", "2", "--test", "1", "--quiet", .. args]);
    }

    [Fact]
    public void The_generated_puzzles_filters_are_refused_for_an_imported_csv()
    {
        using var tmp = new TempDirectory();
        var csv = Path.Combine(tmp.Path, "p.csv");
        File.WriteAllText(csv, "source,question,answer,rating\nx,53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79,534678912672195348198342567859761423426853791713924856961537284287419635345286179,0\n");
        CliHarness.Fails("--difficulty applies to generated puzzles", "data", "sudoku", "--out", Path.Combine(tmp.Path, "x"), "--csv-train", csv, "--csv-test", csv, "--difficulty", "extreme");
        CliHarness.Fails("--min-clues/--max-clues apply to generated puzzles", "data", "sudoku", "--out", Path.Combine(tmp.Path, "x"), "--csv-train", csv, "--csv-test", csv, "--max-clues", "30");
    }
}
