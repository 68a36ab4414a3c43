using Hrm.Data;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

namespace Hrm.Tasks;

/// <summary>How a front end draws a task's cells: digits on a grid (Sudoku), walls and paths (mazes), or colours (ARC).</summary>
public enum CellStyle { Digits, Maze, Colours }

/// <summary>
/// One kind of puzzle as the rest of the project sees it: its name (recorded in datasets and checkpoints), the task
/// for a model or dataset shape, the shape rule in words, the characters a grid of it is written with, how it is
/// drawn, and its dataset check. Registered once in <see cref="TaskRegistry"/>; eval, solve, trace, viz, serve and
/// `hrm data check` all ask there.
/// </summary>
/// <param name="Create">The task for a seq_len; an <see cref="HrmException"/> when the length fits no puzzle of this kind.</param>
/// <param name="Fits">Whether a (seq_len, vocab_size) shape is this kind's, for models and datasets that record no task.</param>
/// <param name="CellChars">Every character a cell of a written grid may be ('?' marks an unknown cell everywhere).</param>
/// <param name="ReferenceEvaluatorNote">Why the authors' evaluator for this kind is left out of an exported
/// all_config.yaml (it needs files of their own dataset builder), or null when they have none.</param>
public sealed record TaskKind(string Name, Func<int, PuzzleTask> Create, Func<int, int, bool> Fits, string ShapeRule,
    string CellChars, CellStyle Style, IDatasetCheck? DatasetCheck = null, string? ReferenceEvaluatorNote = null);

/// <summary>The task kinds the project knows, in one place. The order is the order of shape inference.</summary>
public static class TaskRegistry
{
    static readonly List<TaskKind> kinds =
    [
        new("arc", _ => new ArcPuzzleTask(), (s, v) => s == ArcCanvas.SeqLen && v == ArcCanvas.VocabSize,
            "seq 900, vocab 12", "0123456789", CellStyle.Colours, ReferenceEvaluatorNote:
            "their arc@ARC evaluator needs the test_puzzles.json of their ARC builder, which `hrm data arc` does not write; evaluate ARC voting here with `hrm eval`"),
        new("sudoku", s => SudokuShape.OfCellCount(s) is { } shape ? new SudokuTask(shape)
                : throw new HrmException($"task sudoku: seq_len {s} is not a 4x4, 6x6 or 9x9 grid"),
            (s, v) => SudokuShape.OfCellCount(s) is { } shape && v == shape.VocabSize, "seq 16/36/81, vocab n+2", ".123456789",
            CellStyle.Digits, new SudokuDatasetCheck()),
        new("maze", MazeTask.OfSeqLen, (s, v) => GridSize.SquareSide(s) >= 2 && v == MazeEncoding.VocabSize, "seq N*N, vocab 6", "# SGo",
            CellStyle.Maze, new MazeDatasetCheck()),
    ];
    static readonly object gate = new();
    /// <summary>The kinds the project ships (the list above); <see cref="Unregister"/> leaves them.</summary>
    static readonly HashSet<string> builtIn = kinds.Select(k => k.Name).ToHashSet();

    public static IReadOnlyList<TaskKind> Kinds { get { lock (gate) return kinds.ToArray(); } }
    public static IReadOnlyList<string> Names => Kinds.Select(k => k.Name).ToArray();
    /// <summary>"sudoku, maze or arc": the names for an error message.</summary>
    public static string NamesText() => Names.Count <= 1 ? string.Join("", Names) : string.Join(", ", Names.Take(Names.Count - 1)) + " or " + Names[^1];

    public static TaskKind? Find(string? name) => name is null ? null : Kinds.FirstOrDefault(k => k.Name == name);

    /// <summary>Adds a task kind (a library user's own puzzles); a name already registered is refused.</summary>
    public static void Register(TaskKind kind)
    {
        lock (gate)
        {
            if (kinds.Any(k => k.Name == kind.Name)) throw new HrmException($"task '{kind.Name}' is already registered");
            kinds.Add(kind);
        }
    }

    /// <summary>Whether <paramref name="name"/> is one of the kinds the project ships (not added with <see cref="Register"/>).</summary>
    public static bool IsBuiltIn(string name) => builtIn.Contains(name);

    /// <summary>Removes a kind added with <see cref="Register"/> (tests); the built-in kinds stay.</summary>
    public static bool Unregister(string name)
    {
        lock (gate)
        {
            if (IsBuiltIn(name)) return false;
            return kinds.RemoveAll(k => k.Name == name) > 0;
        }
    }

    /// <summary>The task a name stands for, for a model or dataset of the given shape.</summary>
    public static PuzzleTask FromName(string name, int seqLen, int vocabSize)
    {
        var kind = Find(name) ?? throw new HrmException($"unknown task '{name}' (expected {NamesText()})");
        var task = kind.Create(seqLen);
        if (task.SeqLen != seqLen || task.VocabSize != vocabSize)
            throw new HrmException($"task {name} needs seq_len {task.SeqLen} and vocab_size {task.VocabSize}, not {seqLen} and {vocabSize}");
        return task;
    }

    /// <summary>The first kind whose shape fits, for models and datasets that record no task; null when none fits.</summary>
    public static PuzzleTask? Infer(int seqLen, int vocabSize) =>
        Kinds.FirstOrDefault(k => k.Fits(seqLen, vocabSize))?.Create(seqLen);

    /// <summary>The recorded task if there is one (an unknown name or a shape that does not fit it is an error), else
    /// the inferred one; null when no kind fits the shape.</summary>
    public static PuzzleTask? TryResolve(string? recorded, int seqLen, int vocabSize) =>
        recorded is not null ? FromName(recorded, seqLen, vocabSize) : Infer(seqLen, vocabSize);

    /// <summary>The recorded task if there is one, else the inferred one; a clear error when neither works.</summary>
    public static PuzzleTask Resolve(string? recorded, int seqLen, int vocabSize) =>
        TryResolve(recorded, seqLen, vocabSize) ?? throw NoTaskFits(seqLen, vocabSize);

    /// <summary>The error for a shape that no kind fits, naming every kind's shape rule.</summary>
    public static HrmException NoTaskFits(int seqLen, int vocabSize) => new(
        $"the model (seq_len {seqLen}, vocab {vocabSize}) fits no known task ({string.Join("; ", Kinds.Select(k => $"{k.Name}: {k.ShapeRule}"))})");

    /// <summary>The dataset checks of every kind, for `hrm data check` (each decides from the metadata whether it applies).</summary>
    public static IEnumerable<IDatasetCheck> DatasetChecks() => Kinds.Select(k => k.DatasetCheck).OfType<IDatasetCheck>();
}
