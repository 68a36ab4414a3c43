namespace Hrm.Tasks;

/// <summary>A decoded answer: the grid as text (rows separated by '\n', one character per cell) and as task cells.</summary>
/// <param name="Cells">Row-major task values: Sudoku digits (0 = no digit), maze tokens (<see cref="Maze.MazeEncoding"/>), ARC colours.</param>
public sealed record DecodedGrid(string Text, int[] Cells, int Rows, int Cols);

/// <summary>
/// Everything the project knows about one kind of puzzle, in one place: how a puzzle is written as text and encoded
/// as tokens, how a prediction decodes into an answer, and the rule an answer must satisfy. Datasets record the task
/// by <see cref="Name"/> in dataset.json and checkpoints in config.json, so a model never has to guess it.
/// </summary>
public abstract class PuzzleTask
{
    /// <summary>The name recorded in datasets and checkpoints ("sudoku", "maze", "arc", or a registered kind: <see cref="TaskRegistry"/>).</summary>
    public abstract string Name { get; }
    public abstract int SeqLen { get; }
    public abstract int VocabSize { get; }
    /// <summary>What the task takes, in words ("a 4x4 Sudoku").</summary>
    public abstract string Describe();
    /// <summary>What a valid answer is, in words.</summary>
    public abstract string RuleText { get; }
    /// <summary>Whether <see cref="Check"/> can judge an answer from the puzzle alone (ARC needs the expected output).</summary>
    public virtual bool HasRule => true;

    /// <summary>Parses a puzzle written as text into input tokens [SeqLen]; an <see cref="HrmException"/> says what is wrong.</summary>
    public abstract int[] Parse(string text);
    /// <summary>The number of tokens the puzzle written as <paramref name="text"/> has when the task allows several sizes
    /// for one model (a maze of N lines: N*N), else null (the task's own size; <see cref="Parse"/> reports problems).</summary>
    public virtual int? SeqLenOf(string text) => null;
    /// <summary>The puzzle (input tokens) as text, in the form <see cref="Parse"/> reads.</summary>
    public abstract string FormatInput(ReadOnlySpan<int> input);
    /// <summary>The answer that <paramref name="prediction"/> (tokens [SeqLen]) gives for <paramref name="input"/>.</summary>
    public abstract DecodedGrid Decode(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction);
    /// <summary>Why <paramref name="prediction"/> does not satisfy the puzzle's rule, or null when it does.</summary>
    public abstract string? Check(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction);

    /// <summary>The measure of how hard one puzzle is that evaluation breaks accuracy down by ("path_length": moves on
    /// a maze's shortest path; "blanks": a Sudoku's empty cells), or null when the task has none.</summary>
    public virtual string? DifficultyMeasure => null;
    /// <summary>The puzzle's value on <see cref="DifficultyMeasure"/>, or null when it cannot be told (no measure,
    /// or a malformed puzzle).</summary>
    public virtual int? Difficulty(ReadOnlySpan<int> input) => null;

    /// <summary>Row-major positions of <see cref="DecodedGrid"/> cells within the token sequence (per-cell values such as
    /// confidence are read there); identity for grid tasks.</summary>
    public virtual int[] CellPositions(DecodedGrid answer) => Enumerable.Range(0, answer.Rows * answer.Cols).ToArray();

    /// <summary>
    /// <paramref name="k"/> views of a puzzle for test-time augmentation (view 0 the identity), each with its inverse
    /// for predictions; seeded. Sudoku: digit relabelling, transpose, band/stack permutations; maze: the 8 dihedral
    /// maps; ARC: the dataset's augmentations.
    /// </summary>
    public abstract IReadOnlyList<ITokenView> Views(int[] input, int k, int seed);

    public override string ToString() => Name;

    /// <summary>The task a name stands for (<see cref="TaskRegistry.FromName"/>).</summary>
    public static PuzzleTask FromName(string name, int seqLen, int vocabSize) => TaskRegistry.FromName(name, seqLen, vocabSize);

    /// <summary>The task a shape fits, for models and datasets that record none (<see cref="TaskRegistry.Infer"/>).</summary>
    public static PuzzleTask? Infer(int seqLen, int vocabSize) => TaskRegistry.Infer(seqLen, vocabSize);

    /// <summary>The recorded task if there is one, else the inferred one (<see cref="TaskRegistry.Resolve"/>).</summary>
    public static PuzzleTask Resolve(string? recorded, int seqLen, int vocabSize) => TaskRegistry.Resolve(recorded, seqLen, vocabSize);

    /// <summary>The puzzle as rows of cells, one line per grid row (the form traces record); <see cref="FormatInput"/>
    /// unless the task writes its puzzles on one line.</summary>
    public virtual string FormatGrid(ReadOnlySpan<int> input) => FormatInput(input);

    /// <summary>Text rows of equal length: trims '\r' and trailing empty lines.</summary>
    protected static List<string> Lines(string text)
    {
        var lines = text.Replace("\r", "").Split('\n').ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }
}
