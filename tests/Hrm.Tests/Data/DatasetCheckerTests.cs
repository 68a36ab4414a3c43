using Hrm.Data;
using Hrm.Tasks.Sudoku;

namespace Hrm.Tests.Data;

public class DatasetCheckerTests
{
    static readonly DatasetChecker Checker = new(new IDatasetCheck[] { new SudokuDatasetCheck() });

    static string WriteSudoku(TempDirectory tmp, int n = 4)
    {
        var shape = SudokuShape.OfSize(n);
        var seen = new HashSet<string>();
        var train = SudokuGenerator.Generate(shape, 6, new SudokuGeneratorOptions(), 1, seen);
        var test = SudokuGenerator.Generate(shape, 3, new SudokuGeneratorOptions(), 2, seen);
        var dir = Path.Combine(tmp.Path, "sudoku");
        SudokuDataset.Write(dir, shape, train, test, numAug: 2, seed: 5);
        return dir;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(9)]
    public void AWrittenSudokuDatasetIsOk(int n)
    {
        using var tmp = new TempDirectory();
        var report = Checker.Check(WriteSudoku(tmp, n));
        Assert.Empty(report.Problems);
        Assert.Equal(new[] { "sudoku" }, report.TaskChecks);
        var train = report.Splits.Single(s => s.Split == "train");
        Assert.Equal((18, 18, 6), (train.Examples, train.Puzzles, train.Groups));
        Assert.Equal((n + 2, n * n), (train.Metadata.VocabSize, train.Metadata.SeqLen));
    }

    [Fact]
    public void FindsACorruptedLabelWithFileAndRow()
    {
        using var tmp = new TempDirectory();
        var dir = WriteSudoku(tmp);
        var path = Path.Combine(dir, "train", "all__labels.npy");
        var labels = Npy.Read(path).ToInt32();
        // Row 4, cells 0 and 1 swapped: still digits, no longer a solution.
        (labels[4 * 16], labels[4 * 16 + 1]) = (labels[4 * 16 + 1], labels[4 * 16]);
        Npy.WriteInt32(path, labels, new long[] { labels.Length / 16, 16 }, NpyType.UInt8);
        var problem = Assert.Single(Checker.Check(dir).Problems);
        Assert.Equal(("train/all__labels.npy", (long?)4), (problem.File, problem.Row));
        Assert.Contains("not a valid 4x4 solution", problem.Message);
    }

    [Fact]
    public void FindsALabelThatContradictsItsClues()
    {
        using var tmp = new TempDirectory();
        var dir = WriteSudoku(tmp);
        var path = Path.Combine(dir, "test", "all__labels.npy");
        var labels = Npy.Read(path).ToInt32();
        // Relabel digits 1 <-> 2 in row 1: a valid grid, but not the clues' solution.
        for (int i = 16; i < 32; i++) labels[i] = labels[i] switch { 2 => 3, 3 => 2, int t => t };
        Npy.WriteInt32(path, labels, new long[] { 3, 16 }, NpyType.UInt8);
        var problem = Assert.Single(Checker.Check(dir).Problems);
        Assert.Equal("test/all__labels.npy row 1: label contradicts a clue of the input", problem.ToString());
    }

    [Fact]
    public void FindsStructuralProblems()
    {
        using var tmp = new TempDirectory();
        var dir = WriteSudoku(tmp);
        var inputs = Path.Combine(dir, "train", "all__inputs.npy");
        var tokens = Npy.Read(inputs).ToInt32();
        tokens[2 * 16 + 5] = 6; // vocab is 6 for 4x4
        Npy.WriteInt32(inputs, tokens, new long[] { tokens.Length / 16, 16 }, NpyType.UInt8);
        Npy.WriteInt32(Path.Combine(dir, "train", "all__group_indices.npy"), new[] { 0, 3, 3, 9, 12, 15, 18 }, new long[] { 7 });
        Npy.WriteInt32(Path.Combine(dir, "test", "all__puzzle_identifiers.npy"), new[] { 0, 1, 0 }, new long[] { 3 });
        File.Delete(Path.Combine(dir, "identifiers.json"));
        var problems = Checker.Check(dir).Problems.Select(p => p.ToString()).ToList();
        Assert.Contains("identifiers.json: file not found", problems);
        Assert.Contains("train/all__inputs.npy row 2: token 6 at position 5 is outside 0..5 (vocab_size 6)", problems);
        Assert.Contains(problems, p => p.StartsWith("train/all__group_indices.npy row 1: entry 2 (3) is not above entry 1 (3)"));
        Assert.Contains("test/all__puzzle_identifiers.npy row 1: identifier 1 outside 0..0", problems);
    }

    [Fact]
    public void MissingFilesAndBadShapesAreReported()
    {
        using var tmp = new TempDirectory();
        var dir = WriteSudoku(tmp);
        File.Delete(Path.Combine(dir, "test", "all__labels.npy"));
        Npy.WriteInt32(Path.Combine(dir, "train", "all__labels.npy"), new int[18 * 15], new long[] { 18, 15 }, NpyType.UInt8);
        var problems = Checker.Check(dir).Problems.Select(p => p.ToString()).ToList();
        Assert.Contains("test/all__labels.npy: file not found", problems);
        Assert.Contains("train/all__labels.npy: shape (18, 15) is not (N, seq_len 16)", problems);
    }

    [Fact]
    public void ManyFailingRowsAreSummarised()
    {
        using var tmp = new TempDirectory();
        var dir = WriteSudoku(tmp);
        var path = Path.Combine(dir, "train", "all__labels.npy");
        Npy.WriteInt32(path, Enumerable.Repeat(2, 18 * 16).ToArray(), new long[] { 18, 16 }, NpyType.UInt8);
        var problems = new DatasetChecker(new[] { new SudokuDatasetCheck() }, maxRowsPerRule: 3).Check(dir).Problems;
        Assert.Equal(4, problems.Count);
        Assert.Equal("train/all__labels.npy: 15 more rows fail the same rule", problems[^1].ToString());
    }
}
