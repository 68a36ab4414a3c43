using Hrm.Tasks;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

namespace Hrm.Tests.Tasks;

public class TokenViewTests
{
    static void AssertRoundTrips(IReadOnlyList<ITokenView> views, int[] tokens)
    {
        foreach (var v in views) Assert.Equal(tokens, v.Invert(v.Apply(tokens)));
    }

    [Fact]
    public void EveryTaskHasAFactoryOfTheSharedShape()
    {
        var factories = new TokenViewFactory[] { SudokuViews.Views, MazeViews.Views, ArcViews.Views };
        var inputs = new[] { SudokuShape.Size4.Encode(new int[16]), MazeEncoding.Encode(new string(' ', 25)), ArcCanvas.Encode(new ArcGrid(1, 2, new[] { 3, 4 })) };
        for (int i = 0; i < factories.Length; i++)
        {
            var views = factories[i](inputs[i], 2, 0);
            Assert.Equal(2, views.Count);
            Assert.Same(IdentityView.Instance, views[0]);
            AssertRoundTrips(views, inputs[i]);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(9)]
    public void SudokuViewsRoundTripAndKeepPuzzlesValid(int n)
    {
        var shape = SudokuShape.OfSize(n);
        var puzzle = SudokuGenerator.Generate(shape, 1, new SudokuGeneratorOptions(), seed: 7)[0];
        var input = shape.Encode(puzzle.Cells);
        var solution = shape.Encode(puzzle.Solution);
        var views = SudokuViews.Views(input, 8, seed: 3);
        Assert.Equal(8, views.Count);
        Assert.Same(IdentityView.Instance, views[0]);
        AssertRoundTrips(views, input);
        AssertRoundTrips(views, solution);
        // A prediction may hold any token of the vocabulary, pad (0) and blank (1) included.
        var rng = new Random(1);
        var noise = Enumerable.Range(0, shape.Cells).Select(_ => rng.Next(shape.VocabSize)).ToArray();
        AssertRoundTrips(views, noise);
        foreach (var v in views.Skip(1))
        {
            var (cells, sol) = (shape.Decode(v.Apply(input))!, shape.Decode(v.Apply(solution))!);
            Assert.True(shape.IsValidSolution(sol));
            Assert.True(SudokuShape.IsConsistent(cells, sol));
            Assert.NotEqual(input, v.Apply(input));
        }
        Assert.Equal(views.Select(v => v.Name), SudokuViews.Views(input, 8, seed: 3).Select(v => v.Name));
        Assert.NotEqual(views.Select(v => v.Name), SudokuViews.Views(input, 8, seed: 4).Select(v => v.Name));
        Assert.Contains("outside 0..", Assert.Throws<HrmException>(() => views[1].Apply(Enumerable.Repeat(n + 2, shape.Cells).ToArray())).Message);
    }

    [Fact]
    public void SudokuAugmentationInverseUndoesTransposedAndPlainDraws()
    {
        var shape = SudokuShape.Size9;
        var puzzle = SudokuGenerator.Generate(shape, 1, new SudokuGeneratorOptions(), seed: 2)[0];
        var random = new Random(5);
        bool sawTranspose = false, sawPlain = false;
        for (int i = 0; i < 20; i++)
        {
            var aug = SudokuAugmentation.Draw(shape, random);
            (aug.Transpose ? ref sawTranspose : ref sawPlain) = true;
            Assert.Equal(puzzle.Solution, aug.Inverse().Apply(aug.Apply(puzzle.Solution)));
            Assert.Equal(puzzle.Solution, aug.Apply(aug.Inverse().Apply(puzzle.Solution)));
        }
        Assert.True(sawTranspose && sawPlain);
    }

    [Fact]
    public void MazeViewsAreTheEightDihedralMaps()
    {
        var maze = new MazeGenerator(new MazeGeneratorOptions(Size: 9)).Next(new Random(3));
        var views = MazeViews.Views(maze.Input, 20, seed: 1);
        Assert.Equal(8, views.Count);
        Assert.Same(IdentityView.Instance, views[0]);
        Assert.Equal(Enumerable.Range(1, 7), views.Skip(1).Cast<DihedralView>().Select(v => v.Id).Order());
        AssertRoundTrips(views, maze.Input);
        AssertRoundTrips(views, maze.Label);
        // Each view is a maze of its own whose solution is the view of the original's.
        foreach (var v in views) Assert.Null(MazeSolver.Verify(v.Apply(maze.Input), v.Apply(maze.Label), 9));
        Assert.Equal(3, MazeViews.Views(maze.Input, 3, seed: 1).Count);
        Assert.Equal(views.Take(3).Select(v => v.Name), MazeViews.Views(maze.Input, 3, seed: 1).Select(v => v.Name));
        Assert.Contains("not a square", Assert.Throws<HrmException>(() => MazeViews.Views(new int[10], 2, 0)).Message);
        Assert.Contains("at least 1 view", Assert.Throws<HrmException>(() => MazeViews.Views(maze.Input, 0, 0)).Message);
    }

    [Fact]
    public void ArcViewsAreTheDatasetsTransformsOnCanonicalCanvases()
    {
        var rng = new Random(4);
        var grid = new ArcGrid(3, 5, Enumerable.Range(0, 15).Select(_ => rng.Next(10)).ToArray());
        var output = new ArcGrid(2, 2, new[] { 1, 2, 3, 0 });
        var canvas = ArcCanvas.Encode(grid);
        var views = ArcViews.Views(canvas, 6, seed: 9);
        Assert.Equal(6, views.Count);
        Assert.Same(IdentityView.Instance, views[0]);
        AssertRoundTrips(views, canvas);
        AssertRoundTrips(views, ArcCanvas.Encode(output));
        foreach (var v in views.Skip(1).Cast<ArcView>())
        {
            Assert.Equal(v.Transform.Apply(grid), ArcCanvas.Crop(v.Apply(canvas)));
            Assert.Equal(ArcCanvas.Encode(v.Transform.Apply(grid)), v.Apply(canvas));
        }
        Assert.Equal(5, views.Skip(1).Select(v => v.Name).Distinct().Count());
        // A grid that every transform leaves unchanged (all background) has only the identity view.
        Assert.Single(ArcViews.Views(ArcCanvas.Encode(new ArcGrid(2, 2, new int[4])), 6, seed: 9));
        Assert.Contains("no grid", Assert.Throws<HrmException>(() => ArcViews.Views(new int[ArcCanvas.SeqLen], 2, 0)).Message);
    }
}
