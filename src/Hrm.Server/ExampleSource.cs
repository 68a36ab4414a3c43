using Hrm.Data;
using Hrm.Evaluation;
using Microsoft.Extensions.Logging;

namespace Hrm.Server;

/// <summary>
/// The puzzles behind the web app's example button (GET /v1/example?index=N): held-out puzzles of the run's dataset
/// (the test split's originals, one per group, in order) when the checkpoint's train_config.json names a dataset that is
/// still there; else fresh ones from the Sudoku or maze generator (seed N); for an ARC model without its dataset, a
/// small built-in task. The dataset is read on the first request.
/// </summary>
sealed class ExampleSource
{
    readonly Solver solver;
    readonly string? dataDir;
    readonly Lazy<(PuzzleSet? Set, string? Why)> set;
    public ILogger? Log { get; set; }

    /// <summary>A tiny ARC task (mirror each row) shown when no dataset is at hand: the text box's format by example.</summary>
    public const string ArcExample = """
        {"train": [{"input": [[1, 0, 0], [0, 2, 0]], "output": [[0, 0, 1], [0, 2, 0]]},
                   {"input": [[3, 3, 0], [0, 0, 4]], "output": [[0, 3, 3], [4, 0, 0]]}],
         "test": [{"input": [[5, 0, 0], [0, 6, 6]], "output": [[0, 0, 5], [6, 6, 0]]}]}
        """;

    public ExampleSource(Solver solver, string? dataDir)
    {
        this.solver = solver;
        this.dataDir = dataDir;
        set = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>"dataset", "generated" or "built-in": where the examples come from.</summary>
    public string Kind => dataDir is not null && (!set.IsValueCreated || set.Value.Set is not null) ? "dataset"
        : solver.Task.Name == "arc" ? "built-in" : "generated";

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
        ExamplePuzzle? e;
        int? count = null;
        if (data is not null)
        {
            count = data.Data.GroupCount;
            int g = index % count.Value;
            e = ExamplePuzzles.FromSet(data, ExamplePuzzles.GroupExample(data.Data, g), solver.Task,
                $"held out: puzzle {g + 1} of {count} in the test split of the dataset this model was trained on");
        }
        else
        {
            e = ExamplePuzzles.Generate(solver.Task, index);
            if (e is not null && why is not null) e = e with { Source = e.Source + $" (the run's dataset is not used: {why})" };
        }
        if (e is null)
        {
            var task = Hrm.Tasks.Arc.ArcReader.ReadText(ArcExample, "example");
            return new()
            {
                ["puzzle"] = ArcExample, ["expected"] = task.Test[0].Output.ToString(), ["puzzle_id"] = 0,
                ["source"] = "a built-in example task (mirror each row); this model's dataset is not at hand", ["index"] = index, ["count"] = 1,
            };
        }
        return new()
        {
            ["puzzle"] = solver.Task.FormatInput(e.Input), ["expected"] = e.Expected, ["puzzle_id"] = e.PuzzleId,
            ["source"] = e.Source, ["index"] = index, ["count"] = count,
        };
    }
}
