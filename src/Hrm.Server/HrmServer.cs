using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Hrm.Evaluation;
using Hrm.Evaluation.Tracing;
using Hrm.Interop;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hrm.Server;

/// <summary>What `hrm serve` binds to and how it batches.</summary>
public sealed record ServeOptions
{
    /// <summary>An IP address or "localhost"; loopback unless the user chooses otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 8080;
    public long MaxBody { get; init; } = 1 << 20;
    public BatchOptions Batch { get; init; } = new();
    /// <summary>How long Ctrl-C waits for in-flight requests.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Log each request at Information level (off: warnings only).</summary>
    public bool Verbose { get; init; }

    public ServeOptions Validate()
    {
        if (Port is < 0 or > 65535) throw new HrmException($"port must be 0..65535, got {Port}");
        if (MaxBody < 256) throw new HrmException($"max body must be at least 256 bytes, got {MaxBody}");
        Batch.Validate();
        _ = Address();
        return this;
    }

    internal IPAddress Address() =>
        Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.TryParse(Host, out var ip) ? ip
        : throw new HrmException($"host must be an IP address or localhost, got '{Host}'");
}

/// <summary>
/// The HTTP server over one solver: GET / (the web app), POST /v1/solve, POST /v1/solve/stream (server-sent events),
/// GET /v1/model, GET /healthz and GET /openapi/v1.json. Requests are batched by a <see cref="BatchSolver"/>. Only
/// these routes exist: nothing a client sends names a file.
/// </summary>
public sealed class HrmServer : IAsyncDisposable
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    readonly Solver solver;
    readonly string checkpoint;
    readonly ServeOptions options;
    readonly BatchSolver batcher;
    readonly long parameters;
    public WebApplication App { get; }

    HrmServer(Solver solver, string checkpoint, ServeOptions options)
    {
        this.solver = solver; this.checkpoint = checkpoint; this.options = options.Validate();
        parameters = solver.Model.parameters().Sum(p => p.numel());
        batcher = new BatchSolver(solver, options.Batch);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.Address(), options.Port);
            k.Limits.MaxRequestBodySize = options.MaxBody;
            k.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.DrainTimeout);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "hrm serve";
            doc.Info.Description = "Solve puzzles with one Hierarchical Reasoning Model checkpoint.";
            return Task.CompletedTask;
        }));
        App = builder.Build();
        Map(App);
    }

    /// <summary>Builds the server (not yet listening) over <paramref name="solver"/>, which the caller keeps owning.</summary>
    public static HrmServer Create(Solver solver, string checkpoint, ServeOptions? options = null) =>
        new(solver, checkpoint, options ?? new ServeOptions());

    public BatchSolver Batcher => batcher;

    /// <summary>The address it listens on (after <see cref="StartAsync"/>), e.g. http://127.0.0.1:8080.</summary>
    public Uri Address
    {
        get
        {
            var addresses = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            return new Uri(addresses.First());
        }
    }

    public Task StartAsync(CancellationToken cancel = default) => App.StartAsync(cancel);
    /// <summary>Stops listening and waits (up to the drain timeout) for requests in flight.</summary>
    public Task StopAsync(CancellationToken cancel = default) => App.StopAsync(cancel);
    /// <summary>Runs until Ctrl-C / SIGTERM, then drains.</summary>
    public Task RunAsync() => App.RunAsync();
    /// <summary>After <see cref="StartAsync"/>: waits for Ctrl-C / SIGTERM, then drains and stops.</summary>
    public Task WaitForShutdownAsync() => App.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await batcher.DisposeAsync();
    }

    void Map(WebApplication app)
    {
        app.MapOpenApi();
        app.MapGet("/", () => Results.Content(WebApp.Render(ModelInfo()), "text/html; charset=utf-8"))
            .WithSummary("The web app: type or paste a puzzle, press Solve, watch the steps").ExcludeFromDescription();
        app.MapGet("/healthz", () => Results.Json(new Dictionary<string, object?>
        {
            ["status"] = "ok", ["task"] = solver.Task.Name, ["waiting"] = batcher.Waiting,
            ["batches"] = batcher.Counts.Batches, ["rows"] = batcher.Counts.Rows,
        })).WithSummary("Liveness and the batcher's counters");
        app.MapGet("/v1/model", () => Results.Json(ModelInfo()))
            .WithSummary("The model: task, architecture, config, parameter count, checkpoint");
        app.MapPost("/v1/solve", (Delegate)(Func<HttpContext, Task>)Solve)
            .AddOpenApiOperationTransformer(JsonBody)
            .Produces<Dictionary<string, object?>>(200).Produces<ErrorBody>(400).Produces<ErrorBody>(413)
            .Produces<ErrorBody>(422).Produces<ErrorBody>(503)
            .WithSummary("Solve one puzzle; the answer as `hrm solve --json` writes it (and the trace with \"trace\": true)");
        app.MapPost("/v1/solve/stream", (Delegate)(Func<HttpContext, Task>)Stream)
            .AddOpenApiOperationTransformer(JsonBody)
            .Produces(200, contentType: "text/event-stream").Produces<ErrorBody>(400).Produces<ErrorBody>(413)
            .Produces<ErrorBody>(422).Produces<ErrorBody>(503)
            .WithSummary("Solve one puzzle, streaming server-sent events: start, one entry per segment (or step), result");
    }

    // Documents the JSON body without Accepts(): that would also make routing refuse (415) a body sent without a JSON
    // content type, as curl -d does.
    static async Task JsonBody(OpenApiOperation op, OpenApiOperationTransformerContext ctx, CancellationToken cancel)
    {
        var schema = await ctx.GetOrCreateSchemaAsync(typeof(SolveRequestBody), null, cancel);
        op.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
        };
    }

    Dictionary<string, object?> ModelInfo() => new()
    {
        ["task"] = solver.Task.Name,
        ["describe"] = solver.Describe(),
        ["architecture"] = solver.Config.Architecture.Name,
        ["config"] = JsonDocument.Parse(ConfigJson.ToJson(solver.Config)).RootElement.Clone(),
        ["parameters"] = parameters,
        ["checkpoint"] = checkpoint,
        ["halt_max_steps"] = solver.Config.HaltMaxSteps,
        ["max_steps_limit"] = SolveRequest.MaxStepsLimit(solver),
        ["max_batch"] = options.Batch.MaxBatch,
        ["max_body"] = options.MaxBody,
    };

    async Task<SolveRequest> ReadRequest(HttpContext ctx)
    {
        if (ctx.Request.ContentLength > options.MaxBody)
            throw new ApiError(413, $"request body of {ctx.Request.ContentLength} bytes is over the limit of {options.MaxBody} bytes");
        using var buffer = new MemoryStream();
        try { await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted); }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            throw new ApiError(413, $"request body is over the limit of {options.MaxBody} bytes");
        }
        if (buffer.Length > options.MaxBody) throw new ApiError(413, $"request body is over the limit of {options.MaxBody} bytes");
        if (buffer.Length == 0) throw new ApiError(400, "empty body: expected a JSON object with a \"puzzle\"");
        return SolveRequest.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), solver);
    }

    Dictionary<string, object?> Response(SolveRequest req, RowResult row, List<TraceEntry>? entries)
    {
        var answer = solver.Answer(req.Input, row, req.Expected);
        var body = answer.ToJsonObject();
        body.Remove("name");
        body["task"] = solver.Task.Name;
        body["halt_rule"] = req.Halt.ToString();
        if (req.Expected is not null) body["expected"] = req.Expected.ToString();
        if (entries is not null)
        {
            var expected = req.Expected?.ToString();
            var puzzle = Tracer.PuzzleOf(solver.Task, req.Input, expected);
            bool? correct = expected is null ? null : expected == answer.Text;
            body["trace"] = new Trace(puzzle, entries, Decoding(req), answer.Valid, correct, answer.Problem);
        }
        return body;
    }

    static string Decoding(SolveRequest req) =>
        req.PerStep ? $"{TraceRecorder.SegmentDecoding}; {TraceRecorder.StepDecoding}" : TraceRecorder.SegmentDecoding;

    async Task Solve(HttpContext ctx) => await Guard(ctx, async () =>
    {
        var req = await ReadRequest(ctx);
        List<TraceEntry>? entries = req.Trace ? new() : null;
        // The callback runs on the batch thread; this request reads the list only after its row is done.
        var row = await batcher.Submit(new BatchJob(req.Input, req.PuzzleId, req.Halt, req.MaxSegments,
            entries is null ? null : entries.Add, req.PerStep), ctx.RequestAborted);
        await Results.Json(Response(req, row, entries), Json).ExecuteAsync(ctx);
    });

    async Task Stream(HttpContext ctx) => await Guard(ctx, async () =>
    {
        var req = await ReadRequest(ctx);
        var channel = Channel.CreateUnbounded<TraceEntry>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var done = batcher.Submit(new BatchJob(req.Input, req.PuzzleId, req.Halt, req.MaxSegments, e => channel.Writer.TryWrite(e), req.PerStep),
            ctx.RequestAborted);
        _ = done.ContinueWith(_ => channel.Writer.TryComplete(), TaskScheduler.Default);

        // From here the status is 200: later failures are an "error" event.
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        var expected = req.Expected?.ToString();
        await Event(ctx, "start", new Dictionary<string, object?>
        {
            ["puzzle"] = Tracer.PuzzleOf(solver.Task, req.Input, expected),
            ["decoding"] = Decoding(req),
            ["total_segments"] = req.MaxSegments ?? solver.Config.HaltMaxSteps,
            ["halt_rule"] = req.Halt.ToString(),
        });
        var entries = new List<TraceEntry>();
        await foreach (var entry in channel.Reader.ReadAllAsync(ctx.RequestAborted))
        {
            entries.Add(entry);
            await Event(ctx, "entry", entry);
        }
        try
        {
            var row = await done;
            var body = Response(req, row, req.Trace ? entries : null);
            await Event(ctx, "result", body);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await Event(ctx, "error", new ErrorBody(SolveRequest.OneLine(e.Message), 500));
        }
    });

    static async Task Event(HttpContext ctx, string name, object data)
    {
        await ctx.Response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data, Json)}\n\n", ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    /// <summary>Maps every failure of a request to a status and a one-line JSON message; nothing escapes to the host.</summary>
    async Task Guard(HttpContext ctx, Func<Task> handler)
    {
        try { await handler(); }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            var (status, message) = e switch
            {
                ApiError a => (a.Status, a.Message),
                QueueFullException q => (503, q.Message),
                BadHttpRequestException b => (b.StatusCode, SolveRequest.OneLine(b.Message)),
                HrmException h => (400, SolveRequest.OneLine(h.Message)),
                _ => (500, "internal error: " + SolveRequest.OneLine(e.Message)),
            };
            if (status == 500) App.Logger.LogError(e, "request failed");
            if (status == 503) ctx.Response.Headers.RetryAfter = "1";
            ctx.Response.StatusCode = status;
            await ctx.Response.WriteAsJsonAsync(new ErrorBody(message, status));
        }
        catch (Exception e)
        {
            App.Logger.LogError(e, "request failed after its response started");
        }
    }
}
