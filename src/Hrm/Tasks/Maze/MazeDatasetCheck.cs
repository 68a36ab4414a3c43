using Hrm.Data;

namespace Hrm.Tasks.Maze;

/// <summary>
/// For maze-shaped data (vocab 6, seq_len N*N): every label is a valid answer to its input by
/// <see cref="MazeSolver.Verify"/> (a connected shortest S-G path marked on open cells only, everything else, S, G
/// and walls included, as in the input). Rows whose maze has several shortest paths are counted in a note, not a
/// problem: their label is right, just not the only right answer.
/// </summary>
public sealed class MazeDatasetCheck : IDatasetCheck
{
    public string Name => "maze";

    /// <summary>
    /// The maze side for this metadata, or null if it is not maze-shaped. 4x4 Sudoku has the same vocab and seq_len as
    /// a 4x4 maze; that shape is left to the Sudoku check, since tiny mazes are not a task anyone trains on.
    /// </summary>
    public static int? SizeOf(DatasetMetadata metadata)
    {
        if (metadata.VocabSize != MazeEncoding.VocabSize || Sudoku.SudokuDataset.ShapeOf(metadata) is not null) return null;
        int n = GridSize.SquareSide(metadata.SeqLen);
        return n >= MazeGeneratorOptions.MinSize ? n : null;
    }

    public bool AppliesTo(DatasetMetadata metadata) => SizeOf(metadata) is not null;

    public IEnumerable<DatasetProblem> Check(PuzzleSet set, int maxRowsPerRule)
    {
        int n = SizeOf(set.Metadata) ?? throw new ArgumentException("not a maze dataset", nameof(set));
        var data = set.Data;
        return DatasetChecker.FailingRows(set.FileOf("labels"), data.ExampleCount,
            r => MazeSolver.Verify(data.Input(r), data.Label(r), n), maxRowsPerRule);
    }

    public IEnumerable<string> Notes(PuzzleSet set)
    {
        int n = SizeOf(set.Metadata) ?? throw new ArgumentException("not a maze dataset", nameof(set));
        var data = set.Data;
        int tied = 0;
        for (int r = 0; r < data.ExampleCount; r++)
        {
            var input = data.Input(r);
            if (input.IndexOf(MazeEncoding.Start) >= 0 && input.IndexOf(MazeEncoding.Goal) >= 0 && MazeSolver.ShortestPathCount(input, n) > 1) tied++;
        }
        return [$"{set.Split}/{set.Name}: {tied} of {data.ExampleCount} mazes have several shortest paths (the label marks one)"];
    }
}
