using System.Text.Json;
using System.Text.Json.Serialization;
using Hrm.Tasks;

namespace Hrm.Evaluation;

/// <summary>
/// One answer. <see cref="Cells"/> is the answer grid row-major (<see cref="Rows"/> x <see cref="Cols"/>): Sudoku digits
/// (0 where the model gave no digit), maze tokens, ARC colours. <see cref="Text"/> is the same grid as lines of
/// characters. <see cref="Valid"/> says whether the answer satisfies the puzzle (Sudoku: a complete valid grid that
/// keeps every given; maze: the marked cells form a shortest S-G path; ARC: equals the test output in the task file);
/// <see cref="Problem"/> says why not.
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
    string? Problem)
{
    /// <summary>With test-time search: the settings, the chosen candidate and every candidate (null: the plain run).</summary>
    public SearchSummary? Search { get; init; }

    /// <summary>The answer's JSON object, as `hrm solve --json` and the HTTP server write it.</summary>
    public Dictionary<string, object?> ToJsonObject(string? name = null)
    {
        var d = Fields(name);
        if (Search is { } s)
            d["search"] = new Dictionary<string, object?>
            {
                ["samples"] = s.Options.Samples, ["views"] = s.Options.Views, ["noise"] = s.Options.Noise,
                ["perturb"] = SearchOptions.Name(s.Options.Perturb), ["select"] = SearchOptions.Name(s.Options.Select),
                ["sample_seed"] = s.Options.Seed, ["chosen"] = s.Chosen,
                ["agreeing"] = s.Candidates.Count(c => c.SameAsChosen && !c.Cut),
                ["candidates"] = s.Candidates.Select(c => new Dictionary<string, object?>
                {
                    ["view"] = c.View, ["sample"] = c.Sample, ["q_halt"] = c.QHalt, ["segments"] = c.Segments,
                    ["valid"] = c.Valid, ["cut"] = c.Cut, ["same_as_chosen"] = c.SameAsChosen,
                }).ToList(),
            };
        return d;
    }

    Dictionary<string, object?> Fields(string? name) => new()
    {
        ["name"] = name,
        ["puzzle"] = Puzzle,
        ["answer"] = Text,
        ["cells"] = Enumerable.Range(0, Rows).Select(r => Cells.Skip(r * Cols).Take(Cols).ToArray()).ToArray(),
        ["segments"] = Segments,
        ["q_halt"] = QHalt,
        ["q_continue"] = QContinue,
        ["valid"] = Valid,
        ["problem"] = Problem,
    };

    /// <summary>The document `hrm solve --json` writes: the checkpoint, the task, the halting rule and every answer.</summary>
    public static Dictionary<string, object> Document(string checkpoint, Solver solver, IEnumerable<(string Name, PuzzleAnswer Answer)> answers) => new()
    {
        ["checkpoint"] = checkpoint,
        ["task"] = solver.Task.Name,
        ["architecture"] = solver.Config.Architecture.Name,
        ["early_exit"] = solver.Options.EarlyExit,
        ["halt_rule"] = solver.Options.Halt!.ToString(),
        ["results"] = answers.Select(x => x.Answer.ToJsonObject(x.Name.Length > 0 ? x.Name : null)).ToList(),
    };

    /// <summary>Writes a JSON document atomically (temp file, then rename).</summary>
    public static void WriteJson(string path, object document)
    {
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
    }
}

/// <summary>One candidate of a search, without its answer grid: where it came from, its final q_halt, its segments,
/// the checker's verdict (null without one), whether it was cut, and whether it gave the chosen answer.</summary>
public sealed record CandidateSummary(
    [property: JsonPropertyName("view")] int View,
    [property: JsonPropertyName("sample")] int Sample,
    [property: JsonPropertyName("q_halt")] float QHalt,
    [property: JsonPropertyName("segments")] int Segments,
    [property: JsonPropertyName("valid")] bool? Valid,
    [property: JsonPropertyName("cut")] bool Cut,
    [property: JsonPropertyName("same_as_chosen")] bool SameAsChosen);

/// <summary>A search's settings, the chosen candidate's index and every candidate.</summary>
public sealed record SearchSummary(
    [property: JsonPropertyName("options")] SearchOptions Options,
    [property: JsonPropertyName("chosen")] int Chosen,
    [property: JsonPropertyName("candidates")] IReadOnlyList<CandidateSummary> Candidates);
