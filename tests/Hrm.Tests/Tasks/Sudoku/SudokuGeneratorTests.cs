using Hrm.Tasks.Sudoku;

namespace Hrm.Tests.Tasks.Sudoku;

public class SudokuGeneratorTests
{
    [Theory]
    [InlineData(4, 20)]
    [InlineData(6, 20)]
    [InlineData(9, 10)]
    public void GeneratesDistinctMinimalPuzzlesWithUniqueSolutions(int n, int count)
    {
        var shape = SudokuShape.OfSize(n);
        var puzzles = SudokuGenerator.Generate(shape, count, new SudokuGeneratorOptions(), seed: 1);
        var solver = new SudokuSolver(shape);
        Assert.Equal(count, puzzles.Select(p => SudokuShape.Format(p.Cells)).Distinct().Count());
        foreach (var p in puzzles)
        {
            var result = solver.Solve(p.Cells);
            Assert.True(result.IsUnique);
            Assert.Equal(p.Solution, result.Solution);
            Assert.True(shape.IsValidSolution(p.Solution));
            Assert.Equal(result.Guesses, p.Rating);
            // Minimal: every clue is needed.
            for (int i = 0; i < p.Cells.Length; i++)
            {
                if (p.Cells[i] == 0) continue;
                var fewer = (int[])p.Cells.Clone();
                fewer[i] = 0;
                Assert.Equal(2, solver.Solve(fewer).Solutions);
            }
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(9)]
    public void SameSeedSamePuzzlesAcrossThreadCounts(int n)
    {
        var shape = SudokuShape.OfSize(n);
        string Run(int seed, int threads) => string.Join("|", SudokuGenerator.Generate(shape, 8, new SudokuGeneratorOptions(), seed, threads: threads)
            .Select(p => SudokuShape.Format(p.Cells)));
        Assert.Equal(Run(7, 1), Run(7, 4));
        Assert.NotEqual(Run(7, 1), Run(8, 1));
    }

    [Fact]
    public void DifficultyAndClueFiltersHold()
    {
        var shape = SudokuShape.Size9;
        Assert.All(SudokuGenerator.Generate(shape, 5, new SudokuGeneratorOptions(SudokuDifficulty.Easy), 3), p => Assert.Equal(0, p.Rating));
        Assert.All(SudokuGenerator.Generate(shape, 5, new SudokuGeneratorOptions(SudokuDifficulty.Hard), 3), p => Assert.True(p.Rating >= 1));
        Assert.All(SudokuGenerator.Generate(shape, 2, new SudokuGeneratorOptions(SudokuDifficulty.Extreme, MinRating: 20), 3), p => Assert.True(p.Rating >= 20));
        Assert.All(SudokuGenerator.Generate(shape, 5, new SudokuGeneratorOptions(MaxClues: 24), 3), p => Assert.True(p.Clues <= 24));
    }

    [Fact]
    public void ExcludedPuzzlesAreNotRepeatedAndImpossibleFiltersFailClearly()
    {
        var shape = SudokuShape.Size4;
        var seen = new HashSet<string>();
        var first = SudokuGenerator.Generate(shape, 30, new SudokuGeneratorOptions(), 1, seen);
        var second = SudokuGenerator.Generate(shape, 30, new SudokuGeneratorOptions(), 2, seen);
        Assert.Empty(first.Select(p => SudokuShape.Format(p.Cells)).Intersect(second.Select(p => SudokuShape.Format(p.Cells))));
        var e = Assert.Throws<HrmException>(() => SudokuGenerator.Generate(shape, 1, new SudokuGeneratorOptions(MinClues: 10), 1, maxAttempts: 200));
        Assert.Contains("relax the filters", e.Message);
    }
}
