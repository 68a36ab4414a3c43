using Hrm.Tasks.Sudoku;

namespace Hrm.Tests.Tasks.Sudoku;

public class SudokuAugmentationTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(9)]
    public void KeepsSolutionsValidAndCluesConsistent(int n)
    {
        var shape = SudokuShape.OfSize(n);
        var puzzle = SudokuGenerator.Generate(shape, 1, new SudokuGeneratorOptions(), seed: 4)[0];
        var random = new Random(9);
        var solver = new SudokuSolver(shape);
        bool sawTranspose = false;
        for (int k = 0; k < 50; k++)
        {
            var aug = SudokuAugmentation.Draw(shape, random);
            sawTranspose |= aug.Transpose;
            var (cells, solution) = (aug.Apply(puzzle.Cells), aug.Apply(puzzle.Solution));
            Assert.True(shape.IsValidSolution(solution));
            Assert.True(SudokuShape.IsConsistent(cells, solution));
            Assert.Equal(puzzle.Clues, cells.Count(d => d != 0));
            Assert.Equal(solution, solver.SolveUnique(cells));
        }
        // Transpose only where it maps boxes onto boxes (square boxes).
        Assert.Equal(shape.BoxRows == shape.BoxCols, sawTranspose);
    }

    [Fact]
    public void PermutationsMoveWholeBandsAndStacks()
    {
        var aug = SudokuAugmentation.Draw(SudokuShape.Size6, new Random(1));
        // 6x6: 3 bands of 2 rows, 2 stacks of 3 columns; each block of the permutation stays within one band/stack.
        for (int b = 0; b < 3; b++) Assert.Single(aug.RowPerm.Skip(2 * b).Take(2).Select(r => r / 2).Distinct());
        for (int s = 0; s < 2; s++) Assert.Single(aug.ColPerm.Skip(3 * s).Take(3).Select(c => c / 3).Distinct());
        Assert.Equal(0, aug.DigitMap[0]);
        Assert.Equal(Enumerable.Range(1, 6), aug.DigitMap.Skip(1).Order());
    }

    [Fact]
    public void AppliesTheReferenceMapping()
    {
        // out[i][j] = P(src[row_perm[i]][col_perm[j]]), src transposed first.
        var grid = Enumerable.Range(0, 16).Select(i => i % 4 + 1).ToArray(); // every row 1 2 3 4 (not a Sudoku, just a probe)
        var aug = new SudokuAugmentation(new[] { 0, 2, 3, 4, 1 }, true, new[] { 1, 0, 3, 2 }, new[] { 2, 3, 0, 1 });
        var result = aug.Apply(grid);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(aug.DigitMap[grid[aug.ColPerm[j] * 4 + aug.RowPerm[i]]], result[i * 4 + j]);
    }
}
