using Hrm.Data;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Tasks;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;
using static TorchSharp.torch;

namespace Hrm.Evaluation;

/// <summary>How the solver runs the model: the halting rule and the segment budget.</summary>
public sealed record SolverOptions
{
    /// <summary>When each row stops; null (the default) is the model's own (<see cref="HaltPolicy.For"/>: the full budget,
    /// as the reference evaluates, unless its config says otherwise). A solver's options always hold the resolved one.</summary>
    public HaltPolicy? Halt { get; init; }
    /// <summary>Shorthand: true is <see cref="HaltPolicy.QValues"/> (the model's own ACT decision).</summary>
    public bool EarlyExit { get => Halt is { Rule: not HaltRule.Full }; init => Halt = value ? HaltPolicy.QValues : HaltPolicy.Full; }
    /// <summary>Segments to run at most (default: the model's halt_max_steps).</summary>
    public int? MaxSegments { get; init; }
    /// <summary>Test-time search (several trajectories per puzzle, one chosen); null or one sample and one view: the
    /// plain run.</summary>
    public SearchOptions? Search { get; init; }
    /// <summary>Whether <see cref="Search"/> runs more than one trajectory.</summary>
    public bool Searches => Search is { } s && s.CandidatesPerPuzzle > 1;
}

/// <summary>
/// Solves single puzzles with a trained checkpoint: the library call behind `hrm solve` (and the HTTP server).
/// <code>
/// using var solver = Solver.Load("runs/sudoku4");
/// var result = solver.Solve("1..4.4..........");
/// Console.WriteLine(result.Text + (result.Valid ? "\nsolved" : "\n" + result.Problem));
/// </code>
/// The task is the one recorded in the checkpoint's config; checkpoints without one (e.g. from the authors' code) get
/// it from their shape (<see cref="PuzzleTask.Infer"/>). Solving never changes the model, so one solver may serve
/// concurrent calls.
/// </summary>
public sealed class Solver : IDisposable
{
    public ActModel Model { get; }
    public SolverOptions Options { get; }
    public PuzzleTask Task { get; }
    readonly Device _device;
    readonly bool ownsModel = true;
    /// <summary>The loaded model and the same weights for other grid sizes (<see cref="ForSeqLen"/>), shared with this
    /// solver's copies and disposed with the owner.</summary>
    readonly SizedModels _sizes;

    public ModelConfig Config => Model.Config;

    public Solver(ActModel model, SolverOptions? options = null)
    {
        Model = model;
        Options = options ?? new SolverOptions();
        Options = Options with { Halt = Options.Halt ?? HaltPolicy.For(model.Config) };
        if (Options.MaxSegments is < 1) throw new HrmException($"max segments must be >= 1, got {Options.MaxSegments}");
        Options.Search?.Validate();
        Task = TaskOf(model.Config) ?? throw TaskRegistry.NoTaskFits(model.Config.SeqLen, model.Config.VocabSize);
        _device = model.Device;
        _sizes = new SizedModels(model);
        model.eval();
    }

    /// <summary>Loads a run folder (its latest checkpoint), a checkpoint folder, a weights file with config.json beside it,
    /// or the authors' step_N with all_config.yaml beside it (its dataset: <paramref name="dataDir"/>, else the one it names);
    /// <paramref name="forwardDtype"/> overrides the config's forward_dtype (float32 or bfloat16).</summary>
    public static Solver Load(string checkpoint, string? configPath = null, Device? device = null, SolverOptions? options = null, string? dataDir = null,
        string? forwardDtype = null)
    {
        var model = ModelStore.Load(checkpoint, configPath, device, forwardDtype, dataDir);
        try { return new Solver(model, options); }
        catch { model.Dispose(); throw; }
    }

    /// <summary>The task of a model, the one rule for it: recorded in its config, else the task of the dataset it runs
    /// on (<paramref name="datasetTask"/>), else inferred from seq_len and vocab_size; null when no task fits (evaluation
    /// then runs without rule checks; a solver refuses the model).</summary>
    public static PuzzleTask? TaskOf(ModelConfig c, string? datasetTask = null) => TaskRegistry.TryResolve(c.Task ?? datasetTask, c.SeqLen, c.VocabSize);

    /// <summary>A copy of this solver with other options, sharing the model (the server varies them per request).</summary>
    public Solver With(SolverOptions options) => new(Model, options, Task, _sizes);

    Solver(ActModel model, SolverOptions options, PuzzleTask task, SizedModels sizes)
    {
        Model = model; Options = options; Task = task; _device = model.Device; ownsModel = false; _sizes = sizes;
        if (Options.MaxSegments is < 1) throw new HrmException($"max segments must be >= 1, got {Options.MaxSegments}");
        Options.Search?.Validate();
    }

    /// <summary>
    /// This solver, or (a task whose models run other sizes, <see cref="PuzzleTask.RunsOtherSizes"/>: a maze of another
    /// size) a solver with the same options over the same weights built for <paramref name="seqLen"/> tokens
    /// (<see cref="SizedModels.For"/>: refused with the name of the weight that fixes the size, unless the model is
    /// size-free; the segment budget follows halt_max_steps_per_side). The resized model is built once per size and
    /// lives as long as this solver's owner.
    /// </summary>
    public Solver ForSeqLen(int seqLen)
    {
        if (seqLen == Config.SeqLen) return this;
        if (!Task.RunsOtherSizes) throw new HrmException($"this checkpoint expects {Describe()}; a {Task.Name} model does not run on another size ({seqLen} tokens)");
        var model = _sizes.For(seqLen);
        return new Solver(model, Options, Task.WithSeqLen(seqLen), _sizes);
    }

    /// <summary>The solver for a puzzle written as text: <see cref="ForSeqLen"/> of its size when the task runs other
    /// sizes, else this one.</summary>
    public Solver For(string puzzle) =>
        Task.RunsOtherSizes && Task.SeqLenOf(puzzle) is int n && n != Config.SeqLen ? ForSeqLen(n) : this;

    /// <summary>Solves a puzzle written as text in the model's task's form (see <see cref="PuzzleTask.Parse"/>); a
    /// maze of another size than the model's runs on <see cref="ForSeqLen"/>.</summary>
    public PuzzleAnswer Solve(string puzzle, IInferenceObserver? observer = null)
    {
        if (For(puzzle) is var other && !ReferenceEquals(other, this)) return other.Solve(puzzle, observer);
        var input = Task.Parse(puzzle);
        return Run(input, 0, observer, expected: null);
    }

    /// <summary>A Sudoku of the checkpoint's size in one string ('.' or '0' blank; whitespace ignored).</summary>
    public PuzzleAnswer SolveSudoku(string puzzle)
    {
        int cells = puzzle.Count(ch => !char.IsWhiteSpace(ch));
        Require<SudokuTask>(SudokuShape.OfCellCount(cells) is { } shape ? $"a {shape.N}x{shape.N} Sudoku" : "a Sudoku");
        return Solve(puzzle);
    }

    /// <summary>A maze as N lines of N characters '#', ' ', 'S', 'G'.</summary>
    public PuzzleAnswer SolveMaze(string[] gridLines)
    {
        Require<MazeTask>($"a {gridLines.Length}x{gridLines.Length} maze");
        return Solve(string.Join('\n', gridLines));
    }

    /// <summary>The answer for already-encoded input tokens (a dataset row), checked by the task's rule.</summary>
    public PuzzleAnswer SolveTokens(int[] input, int puzzleId = 0, IInferenceObserver? observer = null)
    {
        if (input.Length != Config.SeqLen && Task.RunsOtherSizes && input.Length > 0) return ForSeqLen(input.Length).SolveTokens(input, puzzleId, observer);
        if (input.Length != Config.SeqLen) throw new HrmException($"expected {Config.SeqLen} tokens, got {input.Length}");
        return Run(input, puzzleId, observer, expected: null);
    }

    /// <summary>The answer record for one row the inference loop returned for <paramref name="input"/> (a server that
    /// batches rows itself builds its answers here). For a task without a rule (ARC) an <paramref name="expected"/>
    /// answer (as <see cref="PuzzleTask.ParseAnswer"/> returns it) decides validity
    /// (<see cref="PuzzleTask.CompareWithExpected"/>); a task with a rule is checked by the rule.</summary>
    public PuzzleAnswer Answer(int[] input, RowResult row, string? expected = null)
    {
        var decoded = Task.Decode(input, row.Prediction);
        bool byExpected = !Task.HasRule && expected is not null;
        var problem = byExpected ? Task.CompareWithExpected(decoded, expected!) : Task.Check(input, row.Prediction);
        return new PuzzleAnswer(Task, Task.FormatInput(input), decoded.Text, decoded.Cells, decoded.Rows, decoded.Cols,
            row.Segments, row.QHalt, row.QContinue, problem is null && (Task.HasRule || byExpected), problem);
    }

    /// <summary>
    /// Every test input of an ARC task, encoded on the 30 x 30 canvas at (0, 0) without augmentation, with the task's
    /// puzzle identifier from <paramref name="identifiers"/> (the dataset's identifiers.json, or the dataset folder
    /// holding it) when given, else the blank identifier 0. The prediction is cropped from the canvas and compared with
    /// the task's test output.
    /// </summary>
    public IReadOnlyList<PuzzleAnswer> SolveArc(ArcTask task, string? identifiers = null, IInferenceObserver? observer = null)
    {
        Require<ArcPuzzleTask>("an ARC task");
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
            var input = ArcCanvas.Encode(pair.Input);
            results.Add(Run(input, id, observer, pair.Output.ToString()));
        }
        return results;
    }

    /// <summary>Refuses a puzzle of one task type (a method named after the task) for a model of another.</summary>
    void Require<TTask>(string what) where TTask : PuzzleTask
    {
        if (Task is not TTask) throw new HrmException($"cannot solve {what} with this checkpoint: it expects {Describe()}");
    }

    /// <summary>What the checkpoint takes, in words (for error messages).</summary>
    public string Describe() => $"{Task.Describe()} (seq_len {Config.SeqLen}, vocab {Config.VocabSize})";

    /// <summary>
    /// Runs one puzzle: the plain run, or with <see cref="SolverOptions.Searches"/> every trajectory (an observer then
    /// sees them all as rows 0..K-1, views first then samples) and the chosen candidate's answer, with the candidates.
    /// </summary>
    PuzzleAnswer Run(int[] tokens, long puzzleId, IInferenceObserver? observer, string? expected)
    {
        if (!Options.Searches) return Answer(tokens, RunOne(tokens, puzzleId, observer), expected);
        var found = Search.Run(Model, Task, [tokens], [puzzleId], Options.Search!, Options.Halt!, Options.MaxSegments, observer)[0];
        return Answer(tokens, found, expected);
    }

    /// <summary>The answer record of a search: the chosen candidate's answer, with every candidate.</summary>
    public PuzzleAnswer Answer(int[] input, SearchResult found, string? expected = null) =>
        Answer(input, found.Best.Row with { Prediction = found.Best.Answer }, expected) with
        {
            Search = new SearchSummary(Options.Search!, found.Chosen, found.Candidates.Select(c => new CandidateSummary(
                c.View, c.Sample, c.QHalt, c.Segments, c.Valid, c.Cut, Search.AnswerComparer.Instance.Equals(c.Answer, found.Best.Answer))).ToList()),
        };

    RowResult RunOne(int[] tokens, long puzzleId, IInferenceObserver? observer)
    {
        using var scope = NewDisposeScope();
        var inputs = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length], device: _device);
        var ids = tensor(new[] { puzzleId }, [1], device: _device);
        return Inference.Run(Model, inputs, ids, Options.Halt!, Options.MaxSegments, observer)[0];
    }

    /// <summary>Disposes the model, unless this solver is a <see cref="With"/> copy (the original owns it).</summary>
    public void Dispose()
    {
        if (ownsModel) _sizes.Dispose();
    }
}
