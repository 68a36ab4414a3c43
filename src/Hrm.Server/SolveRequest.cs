using System.Text.Json;
using System.Text.Json.Serialization;
using Hrm.Evaluation;
using Hrm.Tasks;

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

/// <summary>A validated request: the encoded puzzle and how to run it. <paramref name="Expected"/> is the expected
/// answer as the task writes answers (from the puzzle itself, such as an ARC task's test output, or the request's
/// "expected"), shown beside the answer and compared with it; for a task without a rule (ARC) it decides "valid".</summary>
public sealed record SolveRequest(int[] Input, int PuzzleId, string? Expected, HaltPolicy Halt, int? MaxSegments, bool Trace, bool PerStep)
{
    /// <summary>Test-time search over samples ("samples" &gt; 1 or a "select"); null: the plain run.</summary>
    public SearchOptions? Search { get; init; }

    public static IReadOnlyList<string> Tasks => TaskRegistry.Names;

    /// <summary>The most segments a request may ask for: enough to watch a model past its budget, not enough to
    /// occupy the solver for long.</summary>
    public static int MaxStepsLimit(Solver solver) => Math.Max(16, 4 * solver.Config.HaltMaxSteps);

    /// <summary>Parses and checks a request body against the solver's model. Throws <see cref="ApiError"/>: 400 for a
    /// malformed body or puzzle, 422 for a puzzle of another task (or of another size, for a task whose models take one
    /// size only, such as Sudoku) than the model's.</summary>
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
        var objectForm = solver.Task.ObjectForm;

        if (Field(root, "task") is { } taskEl)
        {
            var task = taskEl.ValueKind == JsonValueKind.String ? taskEl.GetString()!.Trim().ToLowerInvariant()
                : throw new ApiError(400, $"\"task\" must be a string: {TaskRegistry.NamesText()}");
            if (!Tasks.Contains(task)) throw new ApiError(400, $"unknown task '{Clip(task)}' (expected {TaskRegistry.NamesText()})");
            if (task != modelTask) throw new ApiError(422, $"this server's model solves {solver.Describe()}, not {task}");
        }

        var rule = HaltPolicy.For(solver.Config).Rule;   // the model's own unless the request asks
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
        // A task with a richer form (an ARC task) may come as a JSON object instead of a string holding one.
        string text = puzzleEl.ValueKind switch
        {
            JsonValueKind.String => puzzleEl.GetString()!,
            JsonValueKind.Object when objectForm is not null => puzzleEl.GetRawText(),
            _ => throw new ApiError(400, "\"puzzle\" must be a string" + (objectForm is not null ? " or " + objectForm : "")),
        };
        if (string.IsNullOrWhiteSpace(text)) throw new ApiError(400, "\"puzzle\" is empty");
        var (input, expected) = Encode(text, testIndex, solver);
        if (Field(root, "expected") is { } exEl)
        {
            if (exEl.ValueKind != JsonValueKind.String) throw new ApiError(400, "\"expected\" must be a string: the expected answer as text");
            expected ??= ParseExpected(exEl.GetString()!, solver);
        }
        return new SolveRequest(input, puzzleId, expected, new HaltPolicy(rule, threshold), maxSteps, trace, perStep)
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

    /// <summary>The puzzle (test input <paramref name="testIndex"/> of a text that holds several, such as an ARC task)
    /// and the expected answer it carries, if any.</summary>
    static (int[] Input, string? Expected) Encode(string text, int testIndex, Solver solver)
    {
        var task = solver.Task;
        IReadOnlyList<PosedPuzzle> puzzles;
        try { puzzles = task.ReadPuzzles(text); }
        catch (HrmException e)
        {
            // A puzzle of another size, for a task whose models take one size (a Sudoku), is one this model cannot
            // take, not a malformed one.
            if (!task.RunsOtherSizes && task.SeqLenOf(text) is int n && n != task.SeqLen)
                throw new ApiError(422, $"this server's model solves {solver.Describe()}, not {task.WithSeqLen(n).Describe()}");
            throw new ApiError(400, "malformed puzzle: " + Clip(e.Message));
        }
        // "test_index" picks among the test inputs of a puzzle sent in the task's object form (JSON); text alone is one.
        if (task.ObjectForm is null || !text.TrimStart().StartsWith('{')) testIndex = 0;
        if (testIndex >= puzzles.Count) throw new ApiError(400, $"\"test_index\" {testIndex} is out of range: the task has {puzzles.Count} test input(s)");
        return (puzzles[testIndex].Input, puzzles[testIndex].Expected);
    }

    /// <summary>An expected answer given as text, in the task's answer form (<see cref="PuzzleTask.ParseAnswer"/>:
    /// an ARC grid of digits, the rows of a Sudoku or maze answer of the model's grid size, a Sudoku also as one
    /// string).</summary>
    static string ParseExpected(string text, Solver solver)
    {
        try { return solver.Task.ParseAnswer(text); }
        catch (HrmException e) { throw new ApiError(400, "malformed \"expected\": " + Clip(e.Message)); }
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
