using Hrm.Data;

namespace Hrm.Tasks.Sudoku;

/// <summary>
/// For Sudoku-shaped data (vocab n + 2, seq_len n*n, n in 4, 6, 9): every input is blanks and digits, every label
/// is a valid solution, and the label agrees with each clue of its input.
/// </summary>
public sealed class SudokuDatasetCheck : IDatasetCheck
{
    public string Name => "sudoku";

    public bool AppliesTo(DatasetMetadata metadata) => SudokuDataset.ShapeOf(metadata) is not null;

    public IEnumerable<DatasetProblem> Check(PuzzleSet set, int maxRowsPerRule)
    {
        var shape = SudokuDataset.ShapeOf(set.Metadata) ?? throw new ArgumentException("not a Sudoku dataset", nameof(set));
        var data = set.Data;
        var inputs = DatasetChecker.FailingRows(set.FileOf("inputs"), data.ExampleCount,
            r => shape.Decode(data.Input(r)) is null ? $"input holds a token that is neither blank (1) nor a digit (2..{shape.N + 1})" : null, maxRowsPerRule);
        var labels = DatasetChecker.FailingRows(set.FileOf("labels"), data.ExampleCount, r =>
        {
            var solution = shape.Decode(data.Label(r));
            if (solution is null || !shape.IsValidSolution(solution)) return $"label is not a valid {shape.N}x{shape.N} solution";
            var puzzle = shape.Decode(data.Input(r));
            return puzzle is not null && !SudokuShape.IsConsistent(puzzle, solution) ? "label contradicts a clue of the input" : null;
        }, maxRowsPerRule);
        return inputs.Concat(labels);
    }
}
