using System.Text.Json;
using System.Text.Json.Serialization;
using Hrm.Evaluation;
using Hrm.Tasks;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Sudoku;

namespace Hrm.Server;

/// <summary>An error a client caused, with the HTTP status it maps to and a one-line message.</summary>
public sealed class ApiError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>The body of POST /v1/solve and /v1/solve/stream (documented in the OpenAPI document; parsed by hand so that
/// every mistake gets its own one-line message).</summary>
public sealed record SolveRequestBody(
    [property: JsonPropertyName("puzzle")] string Puzzle,
    [property: JsonPropertyName("task")] string? Task = null,
    [property: JsonPropertyName("halt")] string? Halt = null,
    [property: JsonPropertyName("threshold")] double? Threshold = null,
    [property: JsonPropertyName("max_steps")] int? MaxSteps = null,
    [property: JsonPropertyName("trace")] bool Trace = false,
    [property: JsonPropertyName("per_step")] bool PerStep = false,
    [property: JsonPropertyName("test_index")] int? TestIndex = null,
    [property: JsonPropertyName("puzzle_id")] int? PuzzleId = null,
    [property: JsonPropertyName("expected")] string? Expected = null,
    [property: JsonPropertyName("samples")] int? Samples = null,
    [property: JsonPropertyName("select")] string? Select = null,
    [property: JsonPropertyName("noise")] double? Noise = null,
    [property: JsonPropertyName("sample_seed")] int? SampleSeed = null);

/// <summary>An error response: {"error": "...", "status": N}.</summary>
public sealed record ErrorBody([property: JsonPropertyName("error")] string Error, [property: JsonPropertyName("status")] int Status);

/// <summary>A validated request: the encoded puzzle and how to run it. <paramref name="Expected"/> is an ARC task's
/// output (it decides "valid"); <paramref name="ExpectedText"/> the expected answer as text for any task (from the ARC
/// task or the request's "expected"), shown beside the answer and compared with it.</summary>
public sealed record SolveRequest(int[] Input, int PuzzleId, ArcGrid? Expected, HaltPolicy Halt, int? MaxSegments, bool Trace, bool PerStep,
    string? ExpectedText = null)
{
    /// <summary>Test-time search over samples ("samples" &gt; 1 or a "select"); null: the plain run.</summary>
    public SearchOptions? Search { get; init; }

    public static IReadOnlyList<string> Tasks => TaskRegistry.Names;

    /// <summary>The most segments a request may ask for: enough to watch a model past its budget, not enough to
    /// occupy the solver for long.</summary>
    public static int MaxStepsLimit(Solver solver) => Math.Max(16, 4 * solver.Config.HaltMaxSteps);

    /// <summary>Parses and checks a request body against the solver's model. Throws <see cref="ApiError"/>: 400 for a
    /// malformed body or puzzle, 422 for a puzzle of another task (or Sudoku size) than the model's.</summary>
    public static SolveRequest Parse(ReadOnlyMemory<byte> body, Solver solver, int maxSamples = ServeOptions.DefaultMaxSamples)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = ServeOptions.MaxJsonDepth }); }
        catch (JsonException e) when (e.Message.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            throw new ApiError(400, $"invalid JSON: nested deeper than {ServeOptions.MaxJsonDepth} levels");
        }
        catch (JsonException e) { throw new ApiError(400, "invalid JSON: " + OneLine(e.Message)); }
        using (doc)
        {
            // A string with a lone surrogate (\ud800) parses but cannot be read as text.
            try { return Read(doc.RootElement, solver, maxSamples); }
            catch (InvalidOperationException) { throw new ApiError(400, "invalid JSON: a string holds invalid UTF-16 (a lone surrogate escape)"); }
        }
    }

    static SolveRequest Read(JsonElement root, Solver solver, int maxSamples)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new ApiError(400, "the body must be a JSON object with a \"puzzle\"");
        var modelTask = solver.Task.Name;

        if (Field(root, "task") is { } taskEl)
        {
            var task = taskEl.ValueKind == JsonValueKind.String ? taskEl.GetString()!.Trim().ToLowerInvariant()
                : throw new ApiError(400, $"\"task\" must be a string: {TaskRegistry.NamesText()}");
            if (!Tasks.Contains(task)) throw new ApiError(400, $"unknown task '{Clip(task)}' (expected {TaskRegistry.NamesText()})");
            if (task != modelTask) throw new ApiError(422, $"this server's model solves {solver.Describe()}, not {task}");
        }

        var rule = HaltRule.Full;
        if (Field(root, "halt") is { } haltEl)
        {
            if (haltEl.ValueKind != JsonValueKind.String) throw new ApiError(400, "\"halt\" must be a string: full, q, confident or stable");
            try { rule = HaltPolicy.ParseRule(haltEl.GetString()!); }
            catch (HrmException e) { throw new ApiError(400, Clip(e.Message)); }
        }
        double threshold = 0.9;
        if (Field(root, "threshold") is { } thEl)
        {
            if (thEl.ValueKind != JsonValueKind.Number || !thEl.TryGetDouble(out threshold) || !(threshold > 0 && threshold < 1))
                throw new ApiError(400, "\"threshold\" must be a number strictly between 0 and 1");
        }
        int? maxSteps = null;
        if (Field(root, "max_steps") is { } msEl)
        {
            int limit = MaxStepsLimit(solver);
            if (msEl.ValueKind != JsonValueKind.Number || !msEl.TryGetInt32(out var ms) || ms < 1 || ms > limit)
                throw new ApiError(400, $"\"max_steps\" must be an integer from 1 to {limit}");
            maxSteps = ms;
        }
        bool trace = Bool(root, "trace"), perStep = Bool(root, "per_step");
        int puzzleId = 0;
        if (Field(root, "puzzle_id") is { } idEl)
        {
            if (idEl.ValueKind != JsonValueKind.Number || !idEl.TryGetInt32(out puzzleId) || puzzleId < 0 || puzzleId >= solver.Config.NumPuzzleIdentifiers)
                throw new ApiError(400, $"\"puzzle_id\" must be an integer from 0 to {solver.Config.NumPuzzleIdentifiers - 1}");
        }
        int testIndex = 0;
        if (Field(root, "test_index") is { } tiEl)
        {
            if (tiEl.ValueKind != JsonValueKind.Number || !tiEl.TryGetInt32(out testIndex) || testIndex < 0)
                throw new ApiError(400, "\"test_index\" must be a non-negative integer");
        }

        if (Field(root, "puzzle") is not { } puzzleEl) throw new ApiError(400, "missing \"puzzle\"");
        // An ARC task may come as a JSON object instead of a string holding one.
        string text = puzzleEl.ValueKind switch
        {
            JsonValueKind.String => puzzleEl.GetString()!,
            JsonValueKind.Object when modelTask == "arc" => puzzleEl.GetRawText(),
            _ => throw new ApiError(400, "\"puzzle\" must be a string" + (modelTask == "arc" ? " or an ARC task object" : "")),
        };
        if (string.IsNullOrWhiteSpace(text)) throw new ApiError(400, "\"puzzle\" is empty");
        var (input, expected) = Encode(text, testIndex, solver);
        string? expectedText = expected?.ToString();
        if (Field(root, "expected") is { } exEl)
        {
            if (exEl.ValueKind != JsonValueKind.String) throw new ApiError(400, "\"expected\" must be a string: the expected answer as text");
            if (expected is null) (expected, expectedText) = ParseExpected(exEl.GetString()!, solver);
        }
        return new SolveRequest(input, puzzleId, expected, new HaltPolicy(rule, threshold), maxSteps, trace, perStep, expectedText)
        {
            Search = ReadSearch(root, solver, maxSamples),
        };
    }

    /// <summary>"samples", "select", "noise" and "sample_seed": the search, or null for the plain run (one sample and no
    /// "select"). The server's defaults are the solver's (a model may ship measured search settings).</summary>
    static SearchOptions? ReadSearch(JsonElement root, Solver solver, int maxSamples)
    {
        var defaults = solver.Options.Search ?? new SearchOptions();
        int samples = defaults.Samples;
        if (Field(root, "samples") is { } sEl)
        {
            if (sEl.ValueKind != JsonValueKind.Number || !sEl.TryGetInt32(out samples) || samples < 1 || samples > maxSamples)
                throw new ApiError(400, $"\"samples\" must be an integer from 1 to {maxSamples}");
        }
        var select = defaults.Select;
        bool chose = false;
        if (Field(root, "select") is { } selEl)
        {
            if (selEl.ValueKind != JsonValueKind.String) throw new ApiError(400, "\"select\" must be a string: halt, vote or check");
            try { select = SearchOptions.ParseSelect(selEl.GetString()!); chose = true; }
            catch (HrmException e) { throw new ApiError(400, Clip(e.Message)); }
        }
        double noise = defaults.Noise;
        if (Field(root, "noise") is { } nEl)
        {
            if (nEl.ValueKind != JsonValueKind.Number || !nEl.TryGetDouble(out noise) || !(noise >= 0 && noise <= 100))
                throw new ApiError(400, "\"noise\" must be a number from 0 to 100");
        }
        int seed = defaults.Seed;
        if (Field(root, "sample_seed") is { } seedEl)
        {
            if (seedEl.ValueKind != JsonValueKind.Number || !seedEl.TryGetInt32(out seed))
                throw new ApiError(400, "\"sample_seed\" must be a 32-bit integer");
        }
        if (samples == 1 && !chose) return null;
        return new SearchOptions { Samples = samples, Select = select, Noise = noise, Seed = seed, Perturb = defaults.Perturb };
    }

    static (int[] Input, ArcGrid? Expected) Encode(string text, int testIndex, Solver solver)
    {
        try
        {
            if (solver.Task.Name == "arc" && text.TrimStart().StartsWith('{'))
            {
                var task = ArcReader.ReadText(text, "request", "ARC task");
                if (testIndex >= task.Test.Count) throw new ApiError(400, $"\"test_index\" {testIndex} is out of range: the task has {task.Test.Count} test input(s)");
                var pair = task.Test[testIndex];
                return (ArcCanvas.Encode(pair.Input), pair.Output);
            }
            return (solver.Task.Parse(text), null);
        }
        catch (HrmException e)
        {
            // A Sudoku of another size is a puzzle this model cannot take, not a malformed one.
            if (solver.Task is SudokuTask sudoku && SudokuShape.OfCellCount(text.Count(c => !char.IsWhiteSpace(c))) is { } shape && shape.N != sudoku.Shape.N)
                throw new ApiError(422, $"this server's model solves {solver.Describe()}, not a {shape.N}x{shape.N} Sudoku");
            throw new ApiError(400, "malformed puzzle: " + Clip(e.Message));
        }
    }

    /// <summary>An expected answer given as text: an ARC grid of digits, or the rows of a Sudoku or maze answer (a
    /// Sudoku also as one string), of the model's grid size.</summary>
    static (ArcGrid? Grid, string Text) ParseExpected(string text, Solver solver)
    {
        if (solver.Task.Name == "arc")
        {
            try { var grid = ArcCanvas.Crop(solver.Task.Parse(text)); return (grid, grid.ToString()); }
            catch (HrmException e) { throw new ApiError(400, "malformed \"expected\": " + Clip(e.Message)); }
        }
        var (rows, cols) = HrmServer.GridSizes(solver)[0];
        var lines = text.Replace("\r", "").Split('\n').Where(l => l.Length > 0).ToList();
        if (lines.Count == 1 && solver.Task.Name == "sudoku" && lines[0].Length == rows * cols)
            lines = Enumerable.Range(0, rows).Select(r => lines[0].Substring(r * cols, cols)).ToList();
        if (lines.Count != rows || lines.Any(l => l.Length != cols || l.Any(char.IsControl)))
            throw new ApiError(400, $"malformed \"expected\": the answer is {rows} lines of {cols} characters");
        return (null, string.Join('\n', lines));
    }

    static JsonElement? Field(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    static bool Bool(JsonElement root, string name) => Field(root, name) switch
    {
        null => false,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw new ApiError(400, $"\"{name}\" must be true or false"),
    };

    internal static string OneLine(string s) => Clip(s.ReplaceLineEndings(" "));

    /// <summary>Messages echo client text; keep them one short line.</summary>
    internal static string Clip(string s)
    {
        s = s.ReplaceLineEndings(" ");
        return s.Length <= 300 ? s : s[..300] + "…";
    }
}
