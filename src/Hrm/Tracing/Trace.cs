using System.Text.Json;
using System.Text.Json.Serialization;
using Hrm.Evaluation;
using Hrm.Tasks;

namespace Hrm.Tracing;

/// <summary>
/// The puzzle a trace is about. Every grid is text: rows separated by '\n', one character per cell.
/// Sudoku: '1'..'9' digits and '.' blank (the givens are the non-'.' cells of <see cref="Input"/>); maze: '#' wall,
/// ' ' open, 'S' start, 'G' goal, 'o' path; ARC: '0'..'9' colours.
/// </summary>
/// <param name="Task">The task's name in <see cref="TaskRegistry"/> ("sudoku", "maze", "arc", ...).</param>
/// <param name="Input">The puzzle grid as the model sees it.</param>
/// <param name="Expected">The known answer grid, or null. An ARC answer may have another shape than its input.</param>
/// <param name="Rows">Rows of <see cref="Input"/>.</param>
/// <param name="Cols">Columns of <see cref="Input"/>.</param>
public sealed record TracePuzzle(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("expected")] string? Expected,
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("cols")] int Cols);

/// <summary>
/// The model's state after one segment or one low-level step: the decoded answer and what the model thinks of it.
/// </summary>
/// <param name="Segment">1-based segment.</param>
/// <param name="Step">Null at the segment's end, else the 1-based low-level step within the segment.</param>
/// <param name="Answer">The decoded answer grid, in the same text form as the puzzle (ARC: its own shape).</param>
/// <param name="Rows">Rows of <see cref="Answer"/>.</param>
/// <param name="Cols">Columns of <see cref="Answer"/>.</param>
/// <param name="Confidence">Per cell of <see cref="Answer"/>, row-major: the maximum softmax probability, in [0, 1].</param>
/// <param name="QHalt">The Q head's halt value.</param>
/// <param name="QContinue">The Q head's continue value.</param>
/// <param name="ResidualZH">||zH_t - zH_(t-1)|| / ||zH_(t-1)||, mean over tokens.</param>
/// <param name="ResidualZL">The same for zL.</param>
public sealed record TraceEntry(
    [property: JsonPropertyName("segment")] int Segment,
    [property: JsonPropertyName("step")] int? Step,
    [property: JsonPropertyName("answer")] string Answer,
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("cols")] int Cols,
    [property: JsonPropertyName("confidence")] float[] Confidence,
    [property: JsonPropertyName("q_halt")] float QHalt,
    [property: JsonPropertyName("q_continue")] float QContinue,
    [property: JsonPropertyName("residual_zH")] double ResidualZH,
    [property: JsonPropertyName("residual_zL")] double ResidualZL)
{
    /// <summary>Per-cell entropy of the softmax (nats), like <see cref="Confidence"/>; null when not recorded.</summary>
    [JsonPropertyName("entropy")] public float[]? Entropy { get; init; }
}

/// <summary>
/// A reasoning trace: one puzzle and the model's answer after each recorded segment (and low-level step), in run
/// order. <c>hrm trace</c> writes it as JSON; <c>hrm viz</c> draws it.
/// </summary>
/// <param name="Puzzle">The puzzle.</param>
/// <param name="Entries">In order; a segment's low-level steps come before the segment's own (Step = null) entry.</param>
/// <param name="Decoding">A sentence saying how intermediate steps were decoded.</param>
/// <param name="Valid">Whether the last answer passes the task's rule check.</param>
/// <param name="Correct">Whether the last answer equals <see cref="TracePuzzle.Expected"/>; null when unknown.</param>
/// <param name="Problem">Why the last answer is not valid, or null.</param>
public sealed record Trace(
    [property: JsonPropertyName("puzzle")] TracePuzzle Puzzle,
    [property: JsonPropertyName("entries")] IReadOnlyList<TraceEntry> Entries,
    [property: JsonPropertyName("decoding")] string Decoding,
    [property: JsonPropertyName("valid")] bool Valid,
    [property: JsonPropertyName("correct")] bool? Correct,
    [property: JsonPropertyName("problem")] string? Problem)
{
    /// <summary>With test-time search: the settings and every candidate (the entries are the chosen one's); null
    /// without.</summary>
    [JsonPropertyName("search")] public SearchSummary? Search { get; init; }

    public static IReadOnlyList<string> Tasks => TaskRegistry.Names;

    // NaN/Infinity pass as named literals: a residual of a zero state is NaN and must not make the file unwritable.
    static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    static readonly JsonSerializerOptions ReadOptions = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Segments the trace covers (the largest <see cref="TraceEntry.Segment"/>).</summary>
    [JsonIgnore]
    public int Segments => Entries.Count == 0 ? 0 : Entries.Max(e => e.Segment);

    /// <summary>The trace as indented JSON (snake_case names as in <c>hrm trace --json</c>).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, WriteOptions);

    /// <summary>Parses and validates a trace; any problem is an <see cref="HrmException"/> naming the field.</summary>
    public static Trace FromJson(string json, string where = "trace")
    {
        Trace? trace;
        try { trace = JsonSerializer.Deserialize<Trace>(json, ReadOptions); }
        catch (JsonException e) { throw new HrmException($"{where}: not a trace JSON ({e.Message})"); }
        catch (NotSupportedException e) { throw new HrmException($"{where}: not a trace JSON ({e.Message})"); }
        if (trace is null) throw new HrmException($"{where}: expected a JSON object, found null");
        return trace.Validate(where);
    }

    /// <summary>Reads and validates a trace file.</summary>
    public static Trace Load(string path)
    {
        if (!File.Exists(path)) throw new HrmException($"{path}: trace file not found");
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Checks the shapes a renderer relies on: a known task, grids of Rows x Cols cells, one confidence per answer
    /// cell, 1-based segments and steps. Returns this trace.
    /// </summary>
    public Trace Validate(string where = "trace")
    {
        // Deserialization leaves missing non-nullable members null: report them by name instead of crashing later.
        if (Puzzle is null) throw new HrmException($"{where}: missing 'puzzle'");
        if (Entries is null) throw new HrmException($"{where}: missing 'entries'");
        if (Decoding is null) throw new HrmException($"{where}: missing 'decoding'");
        if (Puzzle.Task is null || !Tasks.Contains(Puzzle.Task))
            throw new HrmException($"{where}: puzzle.task must be one of {string.Join(", ", Tasks)}, found '{Puzzle.Task}'");
        if (Puzzle.Input is null) throw new HrmException($"{where}: missing 'puzzle.input'");
        CheckGrid($"{where}: puzzle.input", Puzzle.Input, Puzzle.Rows, Puzzle.Cols, Puzzle.Task);
        if (Puzzle.Expected is not null)
        {
            var lines = Puzzle.Expected.Split('\n');
            CheckGrid($"{where}: puzzle.expected", Puzzle.Expected, lines.Length, lines[0].Length, Puzzle.Task);
        }
        if (Entries.Count == 0) throw new HrmException($"{where}: 'entries' is empty; a trace needs at least one entry");
        for (int i = 0; i < Entries.Count; i++)
        {
            var e = Entries[i];
            var at = $"{where}: entries[{i}]";
            if (e is null) throw new HrmException($"{at} is null");
            if (e.Segment < 1) throw new HrmException($"{at}.segment must be >= 1, found {e.Segment}");
            if (e.Step is < 1) throw new HrmException($"{at}.step must be >= 1 or null, found {e.Step}");
            if (e.Answer is null) throw new HrmException($"{at}: missing 'answer'");
            CheckGrid($"{at}.answer", e.Answer, e.Rows, e.Cols, Puzzle.Task, allowEmpty: true);
            if (e.Confidence is null || e.Confidence.Length != e.Rows * e.Cols)
                throw new HrmException($"{at}.confidence has {e.Confidence?.Length ?? 0} values, expected rows x cols = {e.Rows * e.Cols}");
            foreach (var c in e.Confidence)
                if (!(c >= 0 && c <= 1)) throw new HrmException($"{at}.confidence holds {c}, outside [0, 1]");
        }
        return this;
    }

    static void CheckGrid(string what, string text, int rows, int cols, string task, bool allowEmpty = false)
    {
        if (allowEmpty && rows == 0 && cols == 0 && text.Length == 0) return;   // ARC: the prediction held no grid
        if (rows < 1 || cols < 1 || rows > 64 || cols > 64) throw new HrmException($"{what}: rows and cols must be in 1..64, found {rows} x {cols}");
        var lines = text.Split('\n');
        if (lines.Length != rows) throw new HrmException($"{what}: {lines.Length} rows, expected {rows}");
        for (int r = 0; r < rows; r++)
        {
            if (lines[r].Length != cols) throw new HrmException($"{what}: row {r + 1} has {lines[r].Length} cells, expected {cols}");
            foreach (var ch in lines[r])
                if (!Allowed(task, ch)) throw new HrmException($"{what}: row {r + 1} holds '{ch}', not a {task} cell");
        }
    }

    // '?' marks a token that decodes to no cell (pad, or a Sudoku token out of range); renderers show it as unknown.
    static bool Allowed(string task, char ch) => ch == '?' || TaskRegistry.Find(task)!.CellChars.Contains(ch);
}
