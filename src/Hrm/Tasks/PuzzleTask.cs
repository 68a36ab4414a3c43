namespace Hrm.Tasks;

/// <summary>A decoded answer: the grid as text (rows separated by '\n', one character per cell) and as task cells.</summary>
/// <param name="Cells">Row-major task values: Sudoku digits (0 = no digit), maze tokens (<see cref="Maze.MazeEncoding"/>), ARC colours.</param>
public sealed record DecodedGrid(string Text, int[] Cells, int Rows, int Cols);

/// <summary>One puzzle read from a front end's text: its input tokens and, when the text carries it (an ARC task's test
/// output), the expected answer as <see cref="PuzzleTask.Decode"/> writes answers.</summary>
public sealed record PosedPuzzle(int[] Input, string? Expected);

/// <summary>A puzzle a task gives without a dataset (the served app's example button): its text in the form the front
/// ends read (<see cref="PuzzleTask.ReadPuzzles"/>), its expected answer as <see cref="PuzzleTask.Decode"/> writes
/// answers, and where it came from in words. <paramref name="Count"/> is the number of such examples when the task
/// has a fixed few, null when each seed draws a fresh one.</summary>
public sealed record TaskExample(string Puzzle, string Expected, string Source, int? Count = null);

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
    /// <summary>The number of tokens the puzzle written as <paramref name="text"/> has when the task has puzzles of
    /// several sizes (a maze of N lines: N*N; a Sudoku of 36 cells: 36), else null (the task's own size;
    /// <see cref="Parse"/> reports problems).</summary>
    public virtual int? SeqLenOf(string text) => null;
    /// <summary>Whether one model of this task may run puzzles of another size than its own (a maze of another N: the
    /// same weights built for N*N tokens, when the model is size-free). Otherwise a puzzle of another size is one the
    /// model cannot take.</summary>
    public virtual bool RunsOtherSizes => false;
    /// <summary>This task for puzzles of <paramref name="seqLen"/> tokens (another grid size of the same kind).</summary>
    public PuzzleTask WithSeqLen(int seqLen) => seqLen == SeqLen ? this
        : (TaskRegistry.Find(Name) ?? throw new HrmException($"task '{Name}' is not registered")).Create(seqLen);
    /// <summary>The grid sizes (rows, cols) a puzzle and its answer are written in, largest first: one for a Sudoku or
    /// maze (its seq_len fixes it); none when any grid up to a canvas goes (ARC) or the task names none. A front end
    /// builds its editor from these.</summary>
    public virtual IReadOnlyList<(int Rows, int Cols)> GridSizes => [];

    /// <summary>The puzzles a front end's <paramref name="text"/> holds: one in the form <see cref="Parse"/> reads, or
    /// (a task with a richer form, such as an ARC task's JSON) each of its test inputs with its expected answer.</summary>
    public virtual IReadOnlyList<PosedPuzzle> ReadPuzzles(string text) => [new(Parse(text), null)];
    /// <summary>What a front end may send as a JSON object instead of text ("an ARC task object"), or null when a
    /// puzzle is always text.</summary>
    public virtual string? ObjectForm => null;
    /// <summary>
    /// An expected answer written as text, in the form <see cref="Decode"/> writes answers (rows separated by '\n');
    /// an <see cref="HrmException"/> says what is wrong. The default takes the rows of the first of
    /// <see cref="GridSizes"/> (any rows of printable characters when the task names none).
    /// </summary>
    public virtual string ParseAnswer(string text)
    {
        var lines = text.Replace("\r", "").Split('\n').Where(l => l.Length > 0).ToList();
        if (GridSizes is [var (rows, cols), ..])
        {
            if (lines.Count != rows || lines.Any(l => l.Length != cols || l.Any(char.IsControl)))
                throw new HrmException($"the answer is {rows} lines of {cols} characters");
        }
        else if (lines.Count == 0 || lines.Any(l => l.Any(char.IsControl)))
            throw new HrmException("the answer is lines of printable characters");
        return string.Join('\n', lines);
    }
    /// <summary>Why <paramref name="answer"/> differs from <paramref name="expected"/> (an answer as
    /// <see cref="ParseAnswer"/> returns it), or null when they are equal. A task without a rule
    /// (<see cref="HasRule"/> false) is judged by this instead of <see cref="Check"/>.</summary>
    public virtual string? CompareWithExpected(DecodedGrid answer, string expected) =>
        answer.Text == expected ? null : "the answer differs from the expected one";
    /// <summary>Example <paramref name="seed"/> of this task without a dataset (a generated puzzle with its solution),
    /// or null when the task has no source of examples.</summary>
    public virtual TaskExample? Example(int seed) => null;
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
