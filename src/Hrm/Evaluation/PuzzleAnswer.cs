using System.Text.Json;
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
    /// <summary>The answer's JSON object, as `hrm solve --json` and the HTTP server write it.</summary>
    public Dictionary<string, object?> ToJsonObject(string? name = null) => new()
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
        ["halt_rule"] = solver.Options.Halt.ToString(),
        ["results"] = answers.Select(x => x.Answer.ToJsonObject(x.Name.Length > 0 ? x.Name : null)).ToList(),
    };

    /// <summary>Writes a JSON document atomically (temp file, then rename).</summary>
    public static void WriteJson(string path, object document)
    {
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
    }
}
