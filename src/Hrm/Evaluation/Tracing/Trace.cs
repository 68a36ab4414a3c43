using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hrm.Evaluation.Tracing;

/// <summary>
/// The traced puzzle. Every grid is text: rows separated by '\n', one character per cell (Sudoku '1'..'9' and '.' for a
/// blank; maze '#', ' ', 'S', 'G', 'o'; ARC '0'..'9').
/// </summary>
/// <param name="Task">"sudoku", "maze" or "arc".</param>
/// <param name="Expected">The known answer, when there is one (a dataset label, an ARC test output).</param>
public sealed record TracePuzzle(string Task, string Input, string? Expected, int Rows, int Cols);

/// <summary>
/// One recorded state: a segment's end (<see cref="Step"/> null) or a low-level step inside it (1-based).
/// <see cref="Confidence"/> is per cell of <see cref="Answer"/>, row-major: the max softmax probability.
/// Residuals are the forward residuals ||z_t - z_(t-1)|| / ||z_(t-1)||, mean over token positions.
/// </summary>
public sealed record TraceEntry(int Segment, int? Step, string Answer, int Rows, int Cols, float[] Confidence,
    float QHalt, float QContinue, double ResidualZH, double ResidualZL)
{
    /// <summary>Per-cell entropy of the softmax (nats), like <see cref="Confidence"/>.</summary>
    public float[]? Entropy { get; init; }
}

/// <summary>A reasoning trace: the puzzle, every recorded state in order, and the final verdict.</summary>
/// <param name="Decoding">How intermediate steps were decoded, in words.</param>
/// <param name="Valid">The last answer passes the task's rule check.</param>
/// <param name="Correct">The last answer equals <see cref="TracePuzzle.Expected"/> (null when unknown).</param>
public sealed record Trace(TracePuzzle Puzzle, IReadOnlyList<TraceEntry> Entries, string Decoding, bool Valid, bool? Correct, string? Problem)
{
    static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Options)
        .Replace("\"residual_z_h\"", "\"residual_zH\"").Replace("\"residual_z_l\"", "\"residual_zL\"");

    public static Trace FromJson(string json)
    {
        try
        {
            json = json.Replace("\"residual_zH\"", "\"residual_z_h\"").Replace("\"residual_zL\"", "\"residual_z_l\"");
            return JsonSerializer.Deserialize<Trace>(json, Options) ?? throw new HrmException("trace: empty JSON");
        }
        catch (JsonException e) { throw new HrmException($"trace: not a trace JSON document: {e.Message.Split('.')[0]}"); }
    }
}
