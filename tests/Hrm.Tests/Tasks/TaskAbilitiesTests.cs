using Hrm.Tasks;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

namespace Hrm.Tests.Tasks;

/// <summary>
/// What the front ends ask a task instead of comparing its name: grid sizes, other sizes, puzzles with their expected
/// answers, an expected answer written as text and its comparison, examples without a dataset.
/// </summary>
public class TaskAbilitiesTests
{
    static readonly SudokuTask Sudoku4 = (SudokuTask)TaskRegistry.FromName("sudoku", 16, 6);
    static readonly MazeTask Maze7 = (MazeTask)TaskRegistry.FromName("maze", 49, MazeEncoding.VocabSize);
    static readonly ArcPuzzleTask Arc = new();

    [Fact]
    public void Grid_sizes_and_other_sizes_come_from_the_task()
    {
        Assert.Equal([(4, 4)], Sudoku4.GridSizes);
        Assert.Equal([(7, 7)], Maze7.GridSizes);
        Assert.Empty(Arc.GridSizes);
        Assert.False(Sudoku4.RunsOtherSizes);
        Assert.True(Maze7.RunsOtherSizes);
        Assert.Equal(81, Sudoku4.SeqLenOf(new string('.', 81)));
        Assert.Null(Sudoku4.SeqLenOf("..."));
        Assert.Equal("a 9x9 Sudoku", Sudoku4.WithSeqLen(81).Describe());
        Assert.Equal("a 9x9 maze", Maze7.WithSeqLen(81).Describe());
        Assert.Same(Maze7, Maze7.WithSeqLen(49));
    }

    [Fact]
    public void An_expected_answer_is_read_in_the_form_decode_writes()
    {
        Assert.Equal("1234\n3412\n2143\n4321", Sudoku4.ParseAnswer("1234341221434321"));
        Assert.Equal("1234\n3412\n2143\n4321", Sudoku4.ParseAnswer("1234\r\n3412\n2143\n4321\n"));
        Assert.Contains("4 lines of 4 characters", Assert.Throws<HrmException>(() => Sudoku4.ParseAnswer("123")).Message);
        Assert.Equal("12\n34", Arc.ParseAnswer("12\n34\n"));
        Assert.Contains("colour digit", Assert.Throws<HrmException>(() => Arc.ParseAnswer("1x")).Message);

        // ARC has no rule: the expected answer judges it, with ARC's own words for the difference.
        var answer = Arc.Decode(new int[ArcCanvas.SeqLen], ArcCanvas.Encode(ArcGrid.FromRows([[1, 2], [3, 4]])));
        Assert.Null(Arc.CompareWithExpected(answer, "12\n34"));
        Assert.Equal("1 cell(s) differ from the expected output", Arc.CompareWithExpected(answer, "12\n35"));
        Assert.Equal("predicted a 2x2 grid, the expected output is 1x2", Arc.CompareWithExpected(answer, "12"));
    }

    [Fact]
    public void A_task_json_holds_each_test_input_with_its_output()
    {
        const string json = """{"train": [{"input": [[0]], "output": [[1]]}], "test": [{"input": [[1]], "output": [[2]]}, {"input": [[3, 3]], "output": [[4, 4]]}]}""";
        var puzzles = Arc.ReadPuzzles(json);
        Assert.Equal(2, puzzles.Count);
        Assert.Equal("33", Arc.FormatInput(puzzles[1].Input));
        Assert.Equal("44", puzzles[1].Expected);
        Assert.Null(Arc.ReadPuzzles("12\n34").Single().Expected);
        Assert.Equal("an ARC task object", Arc.ObjectForm);
        Assert.Null(Sudoku4.ObjectForm);
    }

    [Fact]
    public void Examples_are_the_tasks_own()
    {
        var sudoku = Sudoku4.Example(3);
        Assert.Null(Sudoku4.Check(Sudoku4.Parse(sudoku.Puzzle), Sudoku4.Parse(sudoku.Expected.Replace("\n", ""))));
        Assert.Equal(sudoku, Sudoku4.Example(3));                // seeded
        Assert.Null(sudoku.Count);                               // drawn fresh for every seed
        var maze = Maze7.Example(1)!;
        Assert.Equal(Maze7.SeqLen, Maze7.Parse(maze.Puzzle).Length);
        Assert.Contains('o', maze.Expected);
        var arc = Arc.Example(0);
        Assert.Equal(1, arc.Count);
        Assert.Equal("005\n660", arc.Expected);
        Assert.Equal(arc.Expected, Arc.ReadPuzzles(arc.Puzzle).Single().Expected);
    }
}
