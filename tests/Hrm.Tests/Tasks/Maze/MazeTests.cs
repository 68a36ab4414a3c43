using Hrm.Data;
using Hrm.Tasks;
using Hrm.Tasks.Maze;

namespace Hrm.Tests.Tasks.Maze;

public class MazeTests
{
    static readonly MazeGeneratorOptions Small = new(Size: 11);

    [Fact]
    public void DihedralMatchesTheReferenceFormulasOnA2x3Grid()
    {
        // 0 1 2
        // 3 4 5
        int[] g = { 0, 1, 2, 3, 4, 5 };
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, Dihedral.Apply<int>(g, 2, 3, 0));
        Assert.Equal(new[] { 2, 5, 1, 4, 0, 3 }, Dihedral.Apply<int>(g, 2, 3, 1));   // rot90 anticlockwise, 3x2
        Assert.Equal(new[] { 5, 4, 3, 2, 1, 0 }, Dihedral.Apply<int>(g, 2, 3, 2));
        Assert.Equal(new[] { 3, 0, 4, 1, 5, 2 }, Dihedral.Apply<int>(g, 2, 3, 3));
        Assert.Equal(new[] { 2, 1, 0, 5, 4, 3 }, Dihedral.Apply<int>(g, 2, 3, 4));   // reverse columns
        Assert.Equal(new[] { 3, 4, 5, 0, 1, 2 }, Dihedral.Apply<int>(g, 2, 3, 5));   // reverse rows
        Assert.Equal(new[] { 0, 3, 1, 4, 2, 5 }, Dihedral.Apply<int>(g, 2, 3, 6));   // transpose
        Assert.Equal(new[] { 5, 2, 4, 1, 3, 0 }, Dihedral.Apply<int>(g, 2, 3, 7));   // anti-transpose
        for (int id = 0; id < 8; id++)
        {
            var (h, w) = Dihedral.Shape(id, 2, 3);
            Assert.Equal(g, Dihedral.Apply<int>(Dihedral.Apply<int>(g, 2, 3, id), h, w, Dihedral.Inverse(id)));
        }
    }

    [Fact]
    public void TrainMinPathLowersTheMinimumForTrainingMazesOnly()
    {
        var options = new MazeGeneratorOptions(9);   // test split: shortest path > 9
        var (train, test) = MazeDataset.Generate(options, 200, 50, seed: 2, trainMinPath: 0);
        Assert.All(test, m => Assert.True(m.PathLength > 9, $"test path {m.PathLength}"));
        Assert.Contains(train, m => m.PathLength <= 9);   // short mazes mixed into training
        Assert.All(train.Concat(test), m => Assert.Null(MazeSolver.Verify(m.Input, m.Label, 9)));
        Assert.Equal(250, train.Concat(test).Select(m => MazeEncoding.Decode(m.Input)).Distinct().Count());
    }

    [Fact]
    public void GeneratorIsDeterministicPerSeed()
    {
        var a = MazeDataset.Generate(Small, 20, 5, seed: 7);
        var b = MazeDataset.Generate(Small, 20, 5, seed: 7);
        var c = MazeDataset.Generate(Small, 20, 5, seed: 8);
        Assert.Equal(a.Train.Select(m => MazeEncoding.Decode(m.Label)), b.Train.Select(m => MazeEncoding.Decode(m.Label)));
        Assert.Equal(a.Test.Select(m => MazeEncoding.Decode(m.Label)), b.Test.Select(m => MazeEncoding.Decode(m.Label)));
        Assert.NotEqual(a.Train.Select(m => MazeEncoding.Decode(m.Label)), c.Train.Select(m => MazeEncoding.Decode(m.Label)));
        // No maze repeats within or across the splits.
        Assert.Equal(25, a.Train.Concat(a.Test).Select(m => MazeEncoding.Decode(m.Input)).Distinct().Count());
    }

    [Theory]
    [InlineData(9, null)]
    [InlineData(11, null)]
    [InlineData(30, null)]
    [InlineData(30, 140)]
    public void EveryLabelIsABfsShortestPathLongerThanTheMinimum(int size, int? minPath)
    {
        var options = new MazeGeneratorOptions(size, minPath);
        var (train, test) = MazeDataset.Generate(options, 40, 10, seed: 1);
        foreach (var m in train.Concat(test))
        {
            Assert.Null(MazeSolver.Verify(m.Input, m.Label, size));
            int shortest = MazeSolver.ShortestPathLength(m.Input, size);
            Assert.Equal(shortest, m.PathLength);
            Assert.True(shortest > options.EffectiveMinPathLength, $"path {shortest} <= {options.EffectiveMinPathLength}");
            Assert.Equal(1, m.Input.Count(t => t == MazeEncoding.Start));
            Assert.Equal(1, m.Input.Count(t => t == MazeEncoding.Goal));
            Assert.DoesNotContain(MazeEncoding.Path, m.Input);
        }
    }

    [Fact]
    public void DihedralAugmentationKeepsShortestPathsValid()
    {
        var (train, _) = MazeDataset.Generate(Small, 10, 0, seed: 3);
        foreach (var m in train)
            for (int id = 0; id < Dihedral.Count; id++)
            {
                var t = m.Transform(id);
                Assert.Null(MazeSolver.Verify(t.Input, t.Label, t.Size));
                Assert.Equal(m.PathLength, MazeSolver.ShortestPathLength(t.Input, t.Size));
            }
    }

    [Fact]
    public void VerifyRejectsWrongLabels()
    {
        // S . .
        // . # .
        // . . G    shortest path: 4 moves (3 marked cells), two of them
        var input = MazeEncoding.Encode("S   #   G");
        Assert.Equal(4, MazeSolver.ShortestPathLength(input, 3));
        Assert.Null(MazeSolver.Verify(input, MazeEncoding.Encode("Soo #o  G"), 3));
        Assert.Null(MazeSolver.Verify(input, MazeEncoding.Encode("S  o# ooG"), 3));
        Assert.Contains("3 moves", MazeSolver.Verify(input, MazeEncoding.Encode("Soo #   G"), 3));       // stops short of G
        Assert.Contains("5 moves", MazeSolver.Verify(input, MazeEncoding.Encode("Soo #oo G"), 3));       // an extra mark
        Assert.Contains("cell 4", MazeSolver.Verify(input, MazeEncoding.Encode("So  o   G"), 3));        // marks the wall
        Assert.Contains("connected", MazeSolver.Verify(input, MazeEncoding.Encode("So o#  oG"), 3));     // right count, not a path
        Assert.Contains("differs", MazeSolver.Verify(input, MazeEncoding.Encode("Soo  o  G"), 3));        // wall removed
        Assert.Equal(MazeEncoding.Encode("S  o# ooG"), MazeSolver.Solve(input, 3));   // down before right
    }

    [Fact]
    public void CsvRoundTripsAndEveryAnswerIsChecked()
    {
        using var tmp = new TempDirectory();
        var (mazes, _) = MazeDataset.Generate(new MazeGeneratorOptions(9), 12, 0, seed: 5);
        var path = tmp.File("train.csv");
        MazeCsv.Write(path, mazes);
        var back = MazeCsv.Read(path);
        Assert.Equal(mazes.Select(m => MazeEncoding.Decode(m.Label)), back.Select(m => MazeEncoding.Decode(m.Label)));
        Assert.All(back, m => Assert.Equal(9, m.Size));
    }

    [Theory]
    [InlineData("", "empty file")]
    [InlineData("source,question,rating\nx,S G,1\n", "question and answer")]
    [InlineData("source,question,answer,rating\nx,S   #   G,So  o   G,1\n", ":2: label marks cell 4")]
    [InlineData("source,question,answer,rating\nx,S #  G,So#  G,1\n", ":2: maze of 6 characters is not a square grid")]
    [InlineData("source,question,answer,rating\nx,S   #   G,Soo #o  G,1\nx,SG  ,SG  ,0\n", ":3: maze is 2x2, earlier rows are 3x3")]
    [InlineData("source,question,answer,rating\nx,S  x#   G,Soo #o  G,1\n", ":2: question: character 'x'")]
    [InlineData("source,question,answer,rating\nx,S   #   G,S  o# ooG,1\nx,S   #   G,Soo #   G,1\n", ":3:")]
    [InlineData("source,question,answer,rating\nx,S   #   G,Soo #o  G\n", ":2: expected 4 columns, found 3")]
    public void CsvBadInputFailsWithFileAndLine(string text, string expected)
    {
        using var tmp = new TempDirectory();
        var path = tmp.File("bad.csv");
        File.WriteAllText(path, text);
        var e = Assert.Throws<HrmException>(() => MazeCsv.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void DatasetDirectoryHasOneGroupPerMazeAndEightPuzzlesWithAugmentation()
    {
        using var tmp = new TempDirectory();
        var (train, test) = MazeDataset.Generate(Small, 6, 3, seed: 11);
        var dir = Path.Combine(tmp.Path, "maze");
        var summary = MazeDataset.Write(dir, train, test, augment: true);
        Assert.Equal(48, summary.TrainPuzzles);

        var meta = PuzzleDatasetDirectory.ReadMetadata(dir, "train");
        Assert.Equal((6, 121, 1, 6, 1.0, 0), (meta.VocabSize, meta.SeqLen, meta.NumPuzzleIdentifiers, meta.TotalGroups, meta.MeanPuzzleExamples, meta.IgnoreLabelId ?? -1));
        Assert.Equal(new[] { "<blank>" }, PuzzleDatasetDirectory.ReadIdentifiers(dir));
        var split = PuzzleDatasetDirectory.ReadSet(dir, "train", "all");
        Assert.Equal(Enumerable.Range(0, 7).Select(g => g * 8), split.GroupIndices);
        Assert.Equal(Enumerable.Range(0, 49), split.PuzzleIndices);
        Assert.All(split.PuzzleIdentifiers, id => Assert.Equal(0, id));
        for (int p = 0; p < 48; p++)
        {
            var input = split.Inputs.AsSpan(p * 121, 121);
            var label = split.Labels.AsSpan(p * 121, 121);
            Assert.Null(MazeSolver.Verify(input, label, 11));
            Assert.Equal(train[p / 8].Transform(p % 8).Label, label.ToArray());
        }
        var testSplit = PuzzleDatasetDirectory.ReadSet(dir, "test", "all");
        Assert.Equal(3, testSplit.PuzzleCount);
        Assert.Equal(new[] { 0, 1, 2, 3 }, testSplit.GroupIndices);
        Assert.Equal(test[2].Label, testSplit.Labels.AsSpan(2 * 121, 121).ToArray());
    }

    [Fact]
    public void ImpossibleMinimumPathIsAUserError()
    {
        Assert.Throws<HrmException>(() => new MazeGenerator(new MazeGeneratorOptions(9, 70)));
        Assert.Throws<HrmException>(() => new MazeGenerator(new MazeGeneratorOptions(2)));
    }
}
