using Hrm.Tasks.Sudoku;
using Hrm.Tests.Data;

namespace Hrm.Tests.Tasks.Sudoku;

public class SudokuImportTests
{
    const string Puzzle = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79";
    const string Solution = "534678912672195348198342567859761423426853791713924856961537284287419635345286179";
    const string Hard = "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..";
    static readonly string Four = SudokuShape.Format(SudokuGenerator.Generate(SudokuShape.Size4, 1, new SudokuGeneratorOptions(), seed: 1)[0].Cells);
    const string HardSolution = "812753649943682175675491283154237896369845721287169534521974368438526917796318452";

    [Fact]
    public void ReadsSudokuExtremeCsvWithRatingFilter()
    {
        using var dir = new TempDirectory();
        var path = dir.File("train.csv", $"source,question,answer,rating\nwiki,{Puzzle},{Solution},0\ninkala,{Hard},{HardSolution},57\n");
        var all = SudokuImport.Read(path);
        Assert.Equal(2, all.Count);
        Assert.Equal(SudokuShape.Size9.Parse(Solution), all[0].Solution);
        Assert.Equal(57, all[1].Rating);
        var hard = SudokuImport.Read(path, minRating: 1);
        Assert.Equal(SudokuShape.Size9.Parse(Hard), Assert.Single(hard).Cells);
    }

    [Fact]
    public void ReadsOnePuzzlePerLineWithZeroBlanksAndTrailingText()
    {
        using var dir = new TempDirectory();
        var path = dir.File("p.txt", $"# a comment\n{Puzzle.Replace('.', '0')}  wikipedia\n\n{Hard} rated hard\n");
        var puzzles = SudokuImport.Read(path);
        Assert.Equal(2, puzzles.Count);
        Assert.Equal(SudokuShape.Size9.Parse(Solution), puzzles[0].Solution);
        Assert.Equal(0, puzzles[0].Rating);
        Assert.True(puzzles[1].Rating > 0);
        var four = SudokuImport.Read(dir.File("four.txt", Four + "\n"));
        Assert.Equal(SudokuShape.Size4.Parse(Four), Assert.Single(four).Cells);
    }

    [Fact]
    public void SubsampleIsSeededAndWithoutReplacement()
    {
        var puzzles = Enumerable.Range(0, 50).Select(i => new SudokuPuzzle(new[] { i }, new[] { i }, i)).ToList();
        var a = SudokuImport.Subsample(puzzles, 10, new Random(3)).Select(p => p.Rating).ToList();
        Assert.Equal(a, SudokuImport.Subsample(puzzles, 10, new Random(3)).Select(p => p.Rating));
        Assert.Equal(10, a.Distinct().Count());
        Assert.Equal(50, SudokuImport.Subsample(puzzles, 100, new Random(3)).Count);
    }

    [Theory]
    [InlineData("p.txt", "{P}\n{P80}\n", "p.txt line 2: 80 cells")]
    [InlineData("p.txt", "{F}\n{P}\n", "p.txt line 2: 81 cells, but earlier lines have 16")]
    [InlineData("p.txt", "...............7\n", "p.txt line 1: puzzle cell 16: '7' is not a blank or a digit 1..4")]
    [InlineData("p.txt", "  \n\n", "p.txt: empty file")]
    [InlineData("p.txt", "1111............\n", "p.txt line 1: puzzle: digit 1 appears twice in row 1")]
    [InlineData("p.txt", "12.....3........\n", "p.txt line 1: puzzle has no solution")]
    [InlineData("c.csv", "source,question,rating\nx,{P},0\n", "c.csv line 1: missing column 'answer'")]
    [InlineData("c.csv", "source,question,answer,rating\nx,{P},{S},0\nx,{P},{S}\n", "c.csv line 3: expected 4 fields, found 3")]
    [InlineData("c.csv", "source,question,answer,rating\nx,{P},{S},hard\n", "c.csv line 2: rating 'hard' is not a non-negative integer")]
    [InlineData("c.csv", "source,question,answer,rating\nx,{P},{S9},0\n", "c.csv line 2: answer contradicts a clue")]
    [InlineData("c.csv", "source,question,answer,rating\n", "c.csv: no puzzles after the header")]
    public void BadInputGetsOneLineNamingFileAndLine(string name, string text, string expected)
    {
        using var dir = new TempDirectory();
        // S9: a valid solution that contradicts the puzzle (digits 1 and 2 swapped everywhere).
        var swapped = new string(Solution.Select(c => c == '1' ? '2' : c == '2' ? '1' : c).ToArray());
        var path = dir.File(name, text.Replace("{P80}", Puzzle[..80]).Replace("{P}", Puzzle).Replace("{S9}", swapped).Replace("{S}", Solution).Replace("{F}", Four));
        var e = Assert.Throws<HrmException>(() => SudokuImport.Read(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
