using Hrm.Data;
using Hrm.Evaluation;
using Microsoft.Extensions.Logging;

namespace Hrm.Server;

/// <summary>
/// The puzzles behind the web app's example button (GET /v1/example?index=N): held-out puzzles of the run's dataset
/// (the test split's originals, one per group, in order) when the checkpoint's train_config.json names a dataset that is
/// still there; else the task's own (<see cref="Hrm.Tasks.PuzzleTask.Example"/>: fresh ones from the Sudoku or maze
/// generator, seed N; for ARC a small built-in task). The dataset is read on the first request.
/// </summary>
sealed class ExampleSource
{
    readonly Solver solver;
    readonly string? dataDir;
    readonly Lazy<(PuzzleSet? Set, string? Why)> set;
    public ILogger? Log { get; set; }

    public ExampleSource(Solver solver, string? dataDir)
    {
        this.solver = solver;
        this.dataDir = dataDir;
        set = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
        ownKind = new(() => solver.Task.Example(0) switch { null => "none", { Count: null } => "generated", _ => "built-in" });
    }

    /// <summary>"dataset", "generated", "built-in" (a task's fixed few) or "none": where the examples come from.</summary>
    public string Kind => dataDir is not null && (!set.IsValueCreated || set.Value.Set is not null) ? "dataset"
        : ownKind.Value;

    /// <summary>Where the task's own examples come from (asked once: a Sudoku's first example is generated to tell).</summary>
    readonly Lazy<string> ownKind;

    (PuzzleSet?, string?) Load()
    {
        if (dataDir is null) return (null, null);
        try
        {
            var s = PuzzleSet.ReadAll(dataDir, "test")[0];
            Evaluator.CheckFits(solver.Config, s, dataDir);
            return s.Data.GroupCount > 0 ? (s, null) : (null, "its test split is empty");
        }
        catch (HrmException e)
        {
            Log?.LogWarning("examples: the run's dataset cannot be used ({Message}); generating puzzles instead", e.Message);
            return (null, "it cannot be read");
        }
    }

    public Dictionary<string, object?> Get(int index)
    {
        var (data, why) = set.Value;
        if (data is not null)
        {
            int count = data.Data.GroupCount;
            int g = index % count;
            var e = ExamplePuzzles.FromSet(data, ExamplePuzzles.GroupExample(data.Data, g), solver.Task,
                $"held out: puzzle {g + 1} of {count} in the test split of the dataset this model was trained on");
            return new()
            {
                ["puzzle"] = solver.Task.FormatInput(e.Input), ["expected"] = e.Expected, ["puzzle_id"] = e.PuzzleId,
                ["source"] = e.Source, ["index"] = index, ["count"] = count,
            };
        }
        var own = solver.Task.Example(index)
            ?? throw new ApiError(404, $"no example: the task {solver.Task.Name} has no example of its own and this model's dataset is not at hand");
        // A fixed few (ARC's built-in task) say so themselves; a generated one says why the dataset is not used.
        var source = own.Count is null && why is not null ? own.Source + $" (the run's dataset is not used: {why})" : own.Source;
        return new()
        {
            ["puzzle"] = own.Puzzle, ["expected"] = own.Expected, ["puzzle_id"] = 0,
            ["source"] = source, ["index"] = index, ["count"] = own.Count,
        };
    }
}
