using Hrm.Tasks.Sudoku;

namespace Hrm.Tests.Tasks.Sudoku;

public class SudokuSolverTests
{
    const string WikipediaPuzzle = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79";
    const string WikipediaSolution = "534678912672195348198342567859761423426853791713924856961537284287419635345286179";
    const string InkalaPuzzle = "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..";

    // Famous puzzles with their published solutions (typed by hand, not produced by our solver).
    public static readonly TheoryData<string, string, string> Known = new()
    {
        { "Wikipedia example",
          "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79",
          "534678912672195348198342567859761423426853791713924856961537284287419635345286179" },
        { "Inkala 2012 'world's hardest'",
          "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..",
          "812753649943682175675491283154237896369845721287169534521974368438526917796318452" },
        { "AI Escargot",
          "1....7.9..3..2...8..96..5....53..9...1..8...26....4...3......1..4......7..7...3..",
          "162857493534129678789643521475312986913586742628794135356478219241935867897261354" },
    };

    [Theory]
    [MemberData(nameof(Known))]
    public void SolvesFamousPuzzlesUniquely(string name, string puzzle, string solution)
    {
        var shape = SudokuShape.Size9;
        var result = new SudokuSolver(shape).Solve(shape.Parse(puzzle));
        Assert.True(result.IsUnique, name);
        Assert.Equal(solution, SudokuShape.Format(result.Solution!));
        var (count, baseline) = new BacktrackingSolver(shape).Solve(shape.Parse(puzzle));
        Assert.Equal(1, count);
        Assert.Equal(solution, SudokuShape.Format(baseline!));
    }

    [Fact]
    public void RatingIsZeroForSinglesAndPositiveWhenGuessingIsNeeded()
    {
        var shape = SudokuShape.Size9;
        var solver = new SudokuSolver(shape);
        Assert.Equal(0, solver.Solve(shape.Parse(WikipediaPuzzle)).Guesses);
        Assert.True(solver.Solve(shape.Parse(InkalaPuzzle)).Guesses >= 20);
    }

    [Fact]
    public void DetectsTwoSolutionsFromADeadlyRectangle()
    {
        // Blanking a rectangle a b / b a that spans exactly two boxes leaves two solutions (swap a and b).
        var shape = SudokuShape.Size9;
        var grid = shape.Parse(WikipediaSolution);
        var (r1, r2, c1, c2) = FindDeadlyRectangle(shape, grid);
        foreach (var (r, c) in new[] { (r1, c1), (r1, c2), (r2, c1), (r2, c2) }) grid[r * 9 + c] = 0;
        var result = new SudokuSolver(shape).Solve(grid, limit: 2);
        Assert.Equal(2, result.Solutions);
        Assert.False(result.IsUnique);
        Assert.Equal(2, new BacktrackingSolver(shape).Solve(grid, limit: 10).Solutions);
        Assert.Equal(2, new SudokuSolver(shape).Solve(grid, limit: 10).Solutions);
    }

    static (int, int, int, int) FindDeadlyRectangle(SudokuShape shape, int[] g)
    {
        for (int r1 = 0; r1 < 9; r1++)
            for (int r2 = r1 + 1; r2 < 9; r2++)
                for (int c1 = 0; c1 < 9; c1++)
                    for (int c2 = c1 + 1; c2 < 9; c2++)
                    {
                        bool swapped = g[r1 * 9 + c1] == g[r2 * 9 + c2] && g[r1 * 9 + c2] == g[r2 * 9 + c1];
                        var boxes = new[] { shape.Box(r1, c1), shape.Box(r1, c2), shape.Box(r2, c1), shape.Box(r2, c2) }.Distinct().Count();
                        if (swapped && boxes == 2) return (r1, r2, c1, c2);
                    }
        throw new InvalidOperationException("no deadly rectangle in this grid");
    }

    [Fact]
    public void ContradictoryCluesHaveNoSolution()
    {
        var shape = SudokuShape.Size9;
        var grid = shape.Parse(WikipediaPuzzle);
        grid[2] = 5; // row 0 already holds a 5
        Assert.Equal(0, new SudokuSolver(shape).Solve(grid).Solutions);
        Assert.Equal(0, new BacktrackingSolver(shape).Solve(grid).Solutions);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(9)]
    public void EmptyGridHasManySolutionsAndRandomFillIsValid(int n)
    {
        var shape = SudokuShape.OfSize(n);
        var solver = new SudokuSolver(shape);
        Assert.Equal(2, solver.Solve(new int[shape.Cells], limit: 2).Solutions);
        var full = solver.Solve(new int[shape.Cells], limit: 1, new Random(5)).Solution!;
        Assert.True(shape.IsValidSolution(full));
    }

    [Fact]
    public void SixBySixUsesTwoByThreeBoxes()
    {
        var shape = SudokuShape.Size6;
        // Rows 0-1 x cols 0-2 is one box: 1 2 3 / 4 5 6.
        var grid = shape.Parse("123456" + "456123" + "231564" + "564231" + "312645" + "645312");
        Assert.True(shape.IsValidSolution(grid));
        var bad = shape.Parse("123456" + "234561" + "345612" + "456123" + "561234" + "612345"); // Latin square, boxes broken
        Assert.False(shape.IsValidSolution(bad));
    }
}
