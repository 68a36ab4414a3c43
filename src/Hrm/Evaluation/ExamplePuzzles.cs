using System.Text.Json;
using Hrm.Data;
using Hrm.Interop;
using Hrm.Tasks;

namespace Hrm.Evaluation;

/// <summary>One puzzle to show or solve: its input tokens, puzzle identifier, the expected answer as the task writes
/// answers (when known), and where it came from in words.</summary>
public sealed record ExamplePuzzle(int[] Input, int PuzzleId, string? Expected, string Source);

/// <summary>
/// Example puzzles for a model from a dataset: held-out ones from its test split, with their labels as the expected
/// answer (without a dataset a task gives its own: <see cref="PuzzleTask.Example"/>). Used by trace and viz on a
/// dataset's example and by the served app's example button.
/// </summary>
public static class ExamplePuzzles
{
    /// <summary>Example <paramref name="example"/> of <paramref name="set"/> with its label decoded as the expected answer
    /// (a label with ignored cells, such as ARC pads, decodes like a prediction would).</summary>
    public static ExamplePuzzle FromSet(PuzzleSet set, int example, PuzzleTask task, string source)
    {
        if (example < 0 || example >= set.Data.ExampleCount)
            throw new HrmException($"example {example} is out of range (the split has {set.Data.ExampleCount} examples)");
        int s = set.Data.SeqLen;
        var input = set.Data.Inputs.AsSpan(example * s, s).ToArray();
        var label = set.Data.Labels.AsSpan(example * s, s).ToArray();
        int id = set.Data.PuzzleIdentifiers[set.PuzzleOfExample()[example]];
        var expected = task.Decode(input, label.Select(t => t == set.Metadata.IgnoreLabelId ? 0 : t).ToArray()).Text;
        return new ExamplePuzzle(input, id, expected, source);
    }

    /// <summary>The first example of group <paramref name="group"/>'s first puzzle: the original of the group, not one
    /// of its augmentations (the test split of a Sudoku or maze dataset has one puzzle per group).</summary>
    public static int GroupExample(PuzzleSplit split, int group) => split.PuzzleIndices[split.GroupIndices[group]];

    /// <summary>
    /// The dataset a checkpoint was trained on: data_path in the train_config.json beside its weights or in the run
    /// folder above them (RUN/checkpoints/step_N), when that folder still holds a test split; else null.
    /// </summary>
    public static string? RunDataset(string checkpoint, string? configPath = null)
    {
        CheckpointFolder folder;
        try { folder = CheckpointFolder.Holding(ModelStore.Resolve(checkpoint, configPath).Weights); }
        catch (HrmException) { return null; }
        foreach (var file in folder.TrainConfigs())
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(file));
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("data_path", out var p)
                    && p.ValueKind == JsonValueKind.String && p.GetString() is { Length: > 0 } data)
                {
                    var full = Path.GetFullPath(Path.IsPathRooted(data) ? data : Path.Combine(Path.GetDirectoryName(file)!, data));
                    if (File.Exists(Path.Combine(full, "test", "dataset.json"))) return full;
                }
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException) { }
        }
        return null;
    }
}
