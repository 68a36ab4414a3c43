using Hrm.Data;
using Hrm.Interop;
using Hrm.Tasks;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;
using Hrm.Training;

namespace Hrm.Tests.Training;

/// <summary>
/// Training-time augmentation (`augment: true`): each training example through a random view of its task, input and
/// label alike, drawn from the run's seed and the batch number; off by default.
/// </summary>
public class AugmentTests
{
    static PuzzleSet SudokuSet(int count, int seed)
    {
        var shape = SudokuShape.Size9;
        var puzzles = SudokuGenerator.Generate(shape, count, new SudokuGeneratorOptions(), seed, threads: 1);
        return PuzzleSet.InMemory(SudokuDataset.BuildSplit(shape, puzzles, 0, new Random(seed)), shape.VocabSize, task: "sudoku", split: "train");
    }

    static PuzzleSet MazeSet(int count, int seed)
    {
        var (mazes, _) = MazeDataset.Generate(new MazeGeneratorOptions(9, Style: MazeStyle.Iid), count, 0, seed);
        return PuzzleSet.InMemory(MazeDataset.Build(mazes, mazes, augment: false).Train, MazeEncoding.VocabSize, task: "maze", split: "train");
    }

    static HostBatch FirstBatch(PuzzleSet set, int batch) => new TrainSampler(set, batch, seed: 0, epochsPerIteration: 1).Iteration(1).First();

    static int[] Row(int[] flat, int row, int seqLen) => flat.AsSpan(row * seqLen, seqLen).ToArray();

    [Fact]
    public void An_augmented_sudoku_batch_holds_valid_puzzles_whose_labels_solve_them()
    {
        var set = SudokuSet(24, 1);
        var task = (SudokuTask)PuzzleTask.Resolve("sudoku", 81, 11);
        var batch = FirstBatch(set, 16);
        var augmented = TrainingAugmentation.For(set, seed: 5).Apply(batch, batchIndex: 3);
        Assert.Equal(batch.Rows, augmented.Rows);
        Assert.Equal(batch.PuzzleIds, augmented.PuzzleIds);
        int changed = 0;
        for (int r = 0; r < batch.Rows; r++)
        {
            var input = Row(augmented.Inputs, r, 81);
            var label = Row(augmented.Labels, r, 81);
            Assert.Null(task.ConflictingGiven(task.Digits(input)));
            Assert.Null(task.Check(input, label));   // a complete valid grid keeping the givens
            Assert.Equal(Row(batch.Inputs, r, 81).Count(t => t == 1), input.Count(t => t == 1));   // as many blanks
            Assert.True(new SudokuSolver(SudokuShape.Size9).SolveUnique(task.Digits(input)) is { } solution && solution.SequenceEqual(task.Digits(label)));
            if (!input.SequenceEqual(Row(batch.Inputs, r, 81))) changed++;
        }
        Assert.True(changed >= batch.Rows / 2, $"only {changed} of {batch.Rows} rows changed");
        // The batch given is left as it was.
        Assert.Equal(FirstBatch(set, 16).Inputs, batch.Inputs);
    }

    [Fact]
    public void An_augmented_maze_batch_holds_valid_mazes_and_labels()
    {
        var set = MazeSet(40, 2);
        var batch = FirstBatch(set, 32);
        var augmented = TrainingAugmentation.For(set, seed: 1).Apply(batch, batchIndex: 0);
        int changed = 0;
        for (int r = 0; r < batch.Rows; r++)
        {
            var input = Row(augmented.Inputs, r, 81);
            Assert.Null(MazeSolver.Verify(input, Row(augmented.Labels, r, 81), 9));
            var original = Row(batch.Inputs, r, 81);
            Assert.Contains(Enumerable.Range(0, Dihedral.Count), id => Dihedral.Apply<int>(original, 9, 9, id).SequenceEqual(input));
            if (!input.SequenceEqual(original)) changed++;
        }
        Assert.InRange(changed, batch.Rows / 2, batch.Rows);   // 7 in 8 views move a maze (a symmetric one rarely)
    }

    [Fact]
    public void The_views_depend_on_the_seed_and_the_batch_number_only()
    {
        var set = SudokuSet(8, 3);
        var batch = FirstBatch(set, 8);
        var a = TrainingAugmentation.For(set, seed: 7);
        Assert.Equal(a.Apply(batch, 12).Inputs, TrainingAugmentation.For(set, seed: 7).Apply(batch, 12).Inputs);
        Assert.Equal(a.Apply(batch, 12).Labels, a.Apply(batch, 12).Labels);
        Assert.NotEqual(a.Apply(batch, 12).Inputs, a.Apply(batch, 13).Inputs);
        Assert.NotEqual(a.Apply(batch, 12).Inputs, TrainingAugmentation.For(set, seed: 8).Apply(batch, 12).Inputs);
        Assert.NotEqual(TrainingAugmentation.RowSeed(7, 12, 0), TrainingAugmentation.RowSeed(7, 12, 1));
    }

    [Fact]
    public void Ignored_labels_move_with_their_cells()
    {
        var task = PuzzleTask.Resolve("maze", 81, MazeEncoding.VocabSize);
        var (mazes, _) = MazeDataset.Generate(new MazeGeneratorOptions(9, Style: MazeStyle.Iid), 1, 0, 4);
        var input = mazes[0].Input;
        // No target on the walls: after the view, exactly the (moved) walls have none.
        var label = mazes[0].Label.Select((t, i) => input[i] == MazeEncoding.Wall ? PuzzleSet.IgnoreLabel : t).ToArray();
        for (int seed = 0; seed < 16; seed++)
        {
            var (newInput, newLabel) = TrainingAugmentation.Example(task, input, label, seed);
            for (int i = 0; i < 81; i++) Assert.Equal(newInput[i] == MazeEncoding.Wall, newLabel[i] == PuzzleSet.IgnoreLabel);
        }
        var sudoku = PuzzleTask.Resolve("sudoku", 16, 6);
        var grid = SudokuGenerator.Generate(SudokuShape.Size4, 1, new SudokuGeneratorOptions(), 0)[0];
        var sudokuLabel = SudokuShape.Size4.Encode(grid.Solution);
        sudokuLabel[5] = PuzzleSet.IgnoreLabel;
        var (_, relabelled) = TrainingAugmentation.Example(sudoku, SudokuShape.Size4.Encode(grid.Cells), sudokuLabel, 3);
        Assert.Equal(1, relabelled.Count(t => t == PuzzleSet.IgnoreLabel));
    }

    [Fact]
    public void A_maze_sees_each_dihedral_map_and_its_own_form_about_equally_often()
    {
        var task = PuzzleTask.Resolve("maze", 81, MazeEncoding.VocabSize);
        var maze = MazeDataset.Generate(new MazeGeneratorOptions(9, Style: MazeStyle.Iid), 1, 0, 5).Train[0];
        var counts = new int[Dihedral.Count];
        for (int seed = 0; seed < 800; seed++)
        {
            var view = TokenViews.DrawTrainingView(task, maze.Input, TrainingAugmentation.RowSeed(0, seed, 0));
            counts[view is DihedralView d ? d.Id : 0]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 60, 140));
    }

    [Fact]
    public void Puzzles_with_their_own_identifiers_are_refused()
    {
        var split = MazeSet(4, 6).Data;
        var set = PuzzleSet.InMemory(split, MazeEncoding.VocabSize, numIdentifiers: 3, task: "maze");
        var e = Assert.Throws<HrmException>(() => TrainingAugmentation.For(set, 0));
        Assert.Contains("own identifiers", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void The_key_is_off_by_default_and_a_bad_value_is_one_line()
    {
        Assert.False(new TrainConfig().Augment);
        Assert.Equal("false", ConfigKeys.Find("augment")!.Default);
        Assert.True(ConfigKeys.Find("augment")!.Ours);
        Assert.True(TrainConfig.Parse("""{"arch": {}}""", "t.json", ["augment=true"]).Augment);
        var e = Assert.Throws<HrmException>(() => TrainConfig.Parse("""{"arch": {}}""", "t.json", ["augment=sometimes"]));
        Assert.Contains("augment", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>Off, a run is what it was before the key existed (the same weights as with the key absent); on, the
    /// same run trains on other examples and so ends elsewhere, and is reproducible.</summary>
    [Fact]
    public void Training_with_augment_off_is_unchanged_and_on_is_reproducible()
    {
        using var tmp = new TempDirectory();
        var data = Path.Combine(tmp.Path, "data");
        var seen = new HashSet<string>();
        SudokuDataset.Write(data, SudokuShape.Size4,
            SudokuGenerator.Generate(SudokuShape.Size4, 100, new SudokuGeneratorOptions(), 1, seen),
            SudokuGenerator.Generate(SudokuShape.Size4, 10, new SudokuGeneratorOptions(), 2, seen), numAug: 0, seed: 1);
        string[] common = ["max_steps=6", "eval_every_steps=null", "checkpoint_every_steps=null", "eval_max_examples=10", "final_eval_max_examples=10"];
        Dictionary<string, TorchSharp.torch.Tensor> Train(string name, params string[] extra)
        {
            var config = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"), [.. common, .. extra]);
            var run = Path.Combine(tmp.Path, name);
            TrainingRun.Start(config, data, run);
            return StateDictIO.Load(new RunFolder(run).Latest!.ModelPath);
        }
        static bool Same(Dictionary<string, TorchSharp.torch.Tensor> a, Dictionary<string, TorchSharp.torch.Tensor> b) =>
            a.Keys.OrderBy(k => k).SequenceEqual(b.Keys.OrderBy(k => k)) && a.All(kv => kv.Value.eq(b[kv.Key]).all().item<bool>());
        var absent = Train("absent");
        Assert.True(Same(absent, Train("off", "augment=false")), "augment=false changed the run");
        var on = Train("on", "augment=true");
        Assert.False(Same(absent, on), "augment=true trained on the same examples");
        Assert.True(Same(on, Train("on-again", "augment=true")), "augment=true is not reproducible");
    }
}
