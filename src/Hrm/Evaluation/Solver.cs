using Hrm.Data;
using Hrm.Model;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;
using Hrm.Training;
using static TorchSharp.torch;

namespace Hrm.Evaluation;

/// <summary>The kind of puzzle a checkpoint was trained on, as its seq_len and vocab_size tell.</summary>
public enum PuzzleTask { Sudoku, Maze, Arc }

/// <summary>How the solver runs the model: the halting rule and the segment budget.</summary>
public sealed record SolverOptions
{
    /// <summary>When each row stops (default: the full budget, as the reference evaluates).</summary>
    public HaltPolicy Halt { get; init; } = HaltPolicy.Full;
    /// <summary>Shorthand: true is <see cref="HaltPolicy.QValues"/> (the model's own ACT decision).</summary>
    public bool EarlyExit { get => Halt.Rule != HaltRule.Full; init => Halt = value ? HaltPolicy.QValues : HaltPolicy.Full; }
    /// <summary>Segments to run at most (default: the model's halt_max_steps).</summary>
    public int? MaxSegments { get; init; }
}

/// <summary>
/// One answer. <see cref="Cells"/> is the answer grid row-major (<see cref="Rows"/> x <see cref="Cols"/>): Sudoku digits
/// (0 where the model gave no digit), maze tokens (<see cref="MazeEncoding"/>), ARC colours. <see cref="Text"/> is the
/// same grid as lines of characters. <see cref="Valid"/> says whether the answer satisfies the puzzle (Sudoku: a
/// complete valid grid that keeps every given; maze: the marked cells form a shortest S-G path; ARC: equals the test
/// output in the task file); <see cref="Problem"/> says why not.
/// </summary>
public sealed record PuzzleAnswer(
    PuzzleTask Task,
    string Puzzle,
    string Text,
    int[] Cells,
    int Rows,
    int Cols,
    int Segments,
    float[] QHalt,
    float[] QContinue,
    bool Valid,
    string? Problem);

/// <summary>
/// Solves single puzzles with a trained checkpoint: the library call behind `hrm solve`.
/// <code>
/// using var solver = Solver.Load("runs/sudoku4");
/// var result = solver.SolveSudoku("1..4.4..........");
/// Console.WriteLine(result.Text + (result.Valid ? "\nsolved" : "\n" + result.Problem));
/// </code>
/// The checkpoint decides the task: Sudoku n x n has seq_len n*n and vocab n+2 (4x4, 6x6, 9x9); a maze N x N has
/// seq_len N*N and vocab 6; ARC has seq_len 900 (the 30 x 30 canvas) and vocab 12.
/// </summary>
public sealed class Solver : IDisposable
{
    public ActModel Model { get; }
    public SolverOptions Options { get; }
    public PuzzleTask Task { get; }
    readonly Device _device;

    public HrmConfig Config => Model.Config;

    public Solver(ActModel model, SolverOptions? options = null)
    {
        Model = model;
        Options = options ?? new SolverOptions();
        if (Options.MaxSegments is < 1) throw new HrmException($"max segments must be >= 1, got {Options.MaxSegments}");
        Task = TaskOf(model.Config) ?? throw new HrmException(
            $"the checkpoint (seq_len {model.Config.SeqLen}, vocab {model.Config.VocabSize}) is not a Sudoku (seq 16/36/81, vocab n+2), maze (seq N*N, vocab 6) or ARC (seq 900, vocab 12) model");
        _device = model.inner.H_init.device;
        model.eval();
    }

    /// <summary>Loads a run folder (its latest checkpoint), a checkpoint folder, or a weights file with config.json beside it.</summary>
    public static Solver Load(string checkpoint, string? configPath = null, Device? device = null, SolverOptions? options = null)
    {
        var model = Checkpoint.LoadModel(checkpoint, configPath, device);
        try { return new Solver(model, options); }
        catch { model.Dispose(); throw; }
    }

    /// <summary>The task a model config fits, or null.</summary>
    public static PuzzleTask? TaskOf(HrmConfig c)
    {
        if (c.SeqLen == ArcCanvas.SeqLen && c.VocabSize == ArcCanvas.VocabSize) return PuzzleTask.Arc;
        if (SudokuShape.OfCellCount(c.SeqLen) is { } shape && c.VocabSize == shape.VocabSize) return PuzzleTask.Sudoku;
        int n = (int)Math.Round(Math.Sqrt(c.SeqLen));
        if (n * n == c.SeqLen && c.VocabSize == MazeEncoding.VocabSize) return PuzzleTask.Maze;
        return null;
    }

    /// <summary>Solves a puzzle given as text, by the checkpoint's task: a Sudoku string or a maze's lines.</summary>
    public PuzzleAnswer Solve(string puzzle) => Task switch
    {
        PuzzleTask.Sudoku => SolveSudoku(puzzle),
        PuzzleTask.Maze => SolveMaze(puzzle.Replace("\r", "").Split('\n')),
        _ => throw new HrmException("this is an ARC checkpoint: use SolveArc with a task"),
    };

    // ---- Sudoku ----

    /// <summary>
    /// A Sudoku of 16, 36 or 81 cells in one string (whitespace ignored; '.' or '0' blank; digits 1..n). The size must be
    /// the checkpoint's.
    /// </summary>
    public PuzzleAnswer SolveSudoku(string puzzle)
    {
        var cells = new string(puzzle.Where(ch => !char.IsWhiteSpace(ch)).ToArray());
        var shape = SudokuShape.OfCellCount(cells.Length)
            ?? throw new HrmException($"Sudoku: {cells.Length} cells; expected 81 (9x9), 36 (6x6) or 16 (4x4) characters, '.' or '0' for blanks");
        Require(PuzzleTask.Sudoku, $"a {shape.N}x{shape.N} Sudoku");
        if (shape.SeqLen != Config.SeqLen)
            throw new HrmException($"Sudoku: the puzzle is {shape.N}x{shape.N} ({shape.Cells} cells) but the checkpoint expects {Describe()}");
        int[] grid;
        try { grid = shape.Parse(cells); }
        catch (ArgumentException e) { throw new HrmException($"Sudoku: {e.Message}"); }
        if (shape.ConflictingGiven(grid) is string conflict) throw new HrmException($"Sudoku: {conflict}");

        var row = RunOne(shape.Encode(grid), 0);
        var answer = new int[shape.Cells];
        for (int i = 0; i < answer.Length; i++)
        {
            int t = row.Prediction[i];
            answer[i] = t >= 2 && t <= shape.N + 1 ? t - 1 : 0;   // token = digit + 1; blank and pad give no digit
        }
        var problem = SudokuProblem(shape, grid, answer);
        return new PuzzleAnswer(PuzzleTask.Sudoku, SudokuShape.Format(grid), SudokuText(shape, answer), answer, shape.N, shape.N,
            row.Segments, row.QHalt, row.QContinue, problem is null, problem);
    }

    /// <summary>Why <paramref name="answer"/> (digits, 0 = blank) does not solve <paramref name="puzzle"/>, or null if it does.</summary>
    public static string? SudokuProblem(SudokuShape shape, ReadOnlySpan<int> puzzle, ReadOnlySpan<int> answer)
    {
        if (answer.Length != shape.Cells) return $"expected {shape.Cells} cells, got {answer.Length}";
        int blanks = 0;
        foreach (var d in answer) if (d == 0) blanks++;
        if (blanks > 0) return $"{blanks} cell(s) left blank";
        if (!shape.IsValidSolution(answer)) return "a row, column or box repeats a digit";
        if (!SudokuShape.IsConsistent(puzzle, answer)) return "changes a given digit";
        return null;
    }

    static string SudokuText(SudokuShape shape, int[] digits) => string.Join('\n',
        Enumerable.Range(0, shape.N).Select(r => SudokuShape.Format(digits.AsSpan(r * shape.N, shape.N))));

    // ---- Maze ----

    /// <summary>
    /// A maze as N lines of N characters '#' wall, ' ' open, 'S' start, 'G' goal (one each); empty trailing lines and
    /// '\r' are ignored. N*N must be the checkpoint's seq_len.
    /// </summary>
    public PuzzleAnswer SolveMaze(string[] gridLines)
    {
        var lines = gridLines.Select(l => l.TrimEnd('\r')).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        int n = lines.Count;
        if (n == 0) throw new HrmException("maze: no lines");
        for (int r = 0; r < n; r++)
            if (lines[r].Length != n)
                throw new HrmException($"maze: line {r + 1} has {lines[r].Length} characters; a maze of {n} lines needs {n} per line (N x N)");
        Require(PuzzleTask.Maze, $"a {n}x{n} maze");
        if (n * n != Config.SeqLen) throw new HrmException($"maze: the maze is {n}x{n} but the checkpoint expects {Describe()}");
        var text = string.Concat(lines);
        if (text.IndexOf('o') is int o and >= 0)
            throw new HrmException($"maze: line {o / n + 1} already has a path mark 'o'; give the maze without its path");
        var input = MazeEncoding.Encode(text, "maze");
        int starts = input.Count(t => t == MazeEncoding.Start), goals = input.Count(t => t == MazeEncoding.Goal);
        if (starts != 1 || goals != 1) throw new HrmException($"maze: needs exactly one 'S' and one 'G' (found {starts} S, {goals} G)");
        if (MazeSolver.ShortestPathLength(input, n) < 0) throw new HrmException("maze: the goal cannot be reached from the start");

        var row = RunOne(input, 0);
        var answer = row.Prediction;
        var problem = MazeSolver.Verify(input, answer, n);
        var chars = answer.Select(t => t is >= MazeEncoding.Wall and <= MazeEncoding.Path ? MazeEncoding.Char(t) : '?').ToArray();
        var answerText = string.Join('\n', Enumerable.Range(0, n).Select(r => new string(chars, r * n, n)));
        return new PuzzleAnswer(PuzzleTask.Maze, string.Join('\n', lines), answerText, answer, n, n,
            row.Segments, row.QHalt, row.QContinue, problem is null, problem);
    }

    // ---- ARC ----

    /// <summary>
    /// Every test input of an ARC task, encoded on the 30 x 30 canvas at (0, 0) without augmentation, with the task's
    /// puzzle identifier from <paramref name="identifiers"/> (the dataset's identifiers.json, or the dataset folder
    /// holding it) when given, else the blank identifier 0. The prediction is cropped from the canvas and compared with
    /// the task's test output.
    /// </summary>
    public IReadOnlyList<PuzzleAnswer> SolveArc(ArcTask task, string? identifiers = null)
    {
        Require(PuzzleTask.Arc, "an ARC task");
        int id = 0;
        if (identifiers is not null)
        {
            var dir = Directory.Exists(identifiers) ? identifiers : Path.GetDirectoryName(Path.GetFullPath(identifiers))!;
            if (!Directory.Exists(identifiers) && Path.GetFileName(identifiers) != "identifiers.json")
                throw new HrmException($"{identifiers}: expected a dataset folder or its identifiers.json");
            var names = PuzzleDatasetDirectory.ReadIdentifiers(dir);
            id = names.ToList().IndexOf(task.Name);
            if (id < 0) throw new HrmException($"{Path.Combine(dir, "identifiers.json")}: no identifier for task {task.Name}");
            if (id >= Config.NumPuzzleIdentifiers)
                throw new HrmException($"task {task.Name} has identifier {id} but the checkpoint has only {Config.NumPuzzleIdentifiers}");
        }
        var results = new List<PuzzleAnswer>();
        foreach (var pair in task.Test)
        {
            var row = RunOne(ArcCanvas.Encode(pair.Input), id);
            var grid = ArcCanvas.Crop(row.Prediction);
            bool match = grid.Equals(pair.Output);
            string? problem = match ? null
                : grid.Height == 0 ? "the prediction holds no grid at the canvas's top-left corner"
                : grid.Height != pair.Output.Height || grid.Width != pair.Output.Width
                    ? $"predicted a {grid.Height}x{grid.Width} grid, the expected output is {pair.Output.Height}x{pair.Output.Width}"
                    : $"{grid.Cells.Zip(pair.Output.Cells).Count(c => c.First != c.Second)} cell(s) differ from the expected output";
            results.Add(new PuzzleAnswer(PuzzleTask.Arc, pair.Input.ToString(), grid.ToString(), grid.Cells, grid.Height, grid.Width,
                row.Segments, row.QHalt, row.QContinue, match, problem));
        }
        return results;
    }

    // ---- shared ----

    void Require(PuzzleTask wanted, string what)
    {
        if (Task != wanted) throw new HrmException($"cannot solve {what} with this checkpoint: it expects {Describe()}");
    }

    /// <summary>What the checkpoint takes, in words (for error messages).</summary>
    public string Describe()
    {
        int n = (int)Math.Round(Math.Sqrt(Config.SeqLen));
        var what = Task switch
        {
            PuzzleTask.Sudoku => $"a {n}x{n} Sudoku",
            PuzzleTask.Maze => $"a {n}x{n} maze",
            _ => "an ARC task on the 30x30 canvas",
        };
        return $"{what} (seq_len {Config.SeqLen}, vocab {Config.VocabSize})";
    }

    RowResult RunOne(int[] tokens, long puzzleId)
    {
        using var scope = NewDisposeScope();
        var inputs = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length], device: _device);
        var ids = tensor(new[] { puzzleId }, [1], device: _device);
        return Inference.Run(Model, inputs, ids, Options.Halt, Options.MaxSegments)[0];
    }

    public void Dispose() => Model.Dispose();
}
