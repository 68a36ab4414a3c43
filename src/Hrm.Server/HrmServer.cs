using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using System.Threading.RateLimiting;
using Hrm.Evaluation;
using Hrm.Tracing;
using Hrm.Interop;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Hrm.Serving;

namespace Hrm.Server;

/// <summary>What `hrm serve` binds to, how it batches, and how it guards itself beyond loopback.</summary>
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
    /// <summary>When set, every request but the page itself (GET /) needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }
    /// <summary>The explicit choice to serve a non-loopback address without a key.</summary>
    public bool NoAuth { get; init; }
    /// <summary>Requests per second each client (by IP address) may make to the API (/v1/...); null: no limit.</summary>
    public double? RateLimit { get; init; }
    /// <summary>How long a request's headers, and then its body, may take to arrive (408 after it).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most search trajectories ("samples") one request may ask for (400 beyond).</summary>
    public int MaxSamples { get; init; } = DefaultMaxSamples;
    public const int DefaultMaxSamples = 64;

    /// <summary>The most nested levels a request body's JSON may have (400 beyond).</summary>
    public const int MaxJsonDepth = 16;

    public ServeOptions Validate()
    {
        if (Port is < 0 or > 65535) throw new HrmException($"port must be 0..65535, got {Port}");
        if (MaxBody < 256) throw new HrmException($"max body must be at least 256 bytes, got {MaxBody}");
        Batch.Validate();
        var address = Address();
        if (ApiKey is not null && (ApiKey.Length == 0 || ApiKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c > '~')))
            throw new HrmException("the API key must be non-empty printable ASCII without spaces");
        if (ApiKey is not null && NoAuth) throw new HrmException("give --api-key or --no-auth, not both");
        if (!IPAddress.IsLoopback(address) && ApiKey is null && !NoAuth)
            throw new HrmException($"binding {Host} (not loopback) exposes the server to the network: give --api-key KEY (or set HRM_API_KEY), or --no-auth to serve it without one");
        if (RateLimit is { } r && !(r > 0 && r <= 1e6)) throw new HrmException($"rate limit must be above 0 and at most 1000000 requests per second, got {r}");
        if (MaxSamples is < 1 or > SearchOptions.MaxSamples) throw new HrmException($"max samples must be 1..{SearchOptions.MaxSamples}, got {MaxSamples}");
        if (RequestTimeout < TimeSpan.FromMilliseconds(100) || RequestTimeout > TimeSpan.FromHours(1))
            throw new HrmException($"request timeout must be 0.1 s .. 1 h, got {RequestTimeout.TotalSeconds} s");
        return this;
    }

    /// <summary>Whether the server listens on a loopback address only.</summary>
    public bool Loopback => IPAddress.IsLoopback(Address());

    internal IPAddress Address() =>
        Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.TryParse(Host, out var ip) ? ip
        : throw new HrmException($"host must be an IP address or localhost, got '{Host}'");

    /// <summary>Parses a rate such as "10/s", "0.5/s" or "120/min" into requests per second.</summary>
    public static double ParseRate(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        int slash = t.IndexOf('/');
        double per = slash < 0 ? 0 : t[(slash + 1)..].Trim() switch { "s" or "sec" or "second" => 1, "min" or "m" or "minute" => 60, _ => 0 };
        if (per == 0 || !double.TryParse(t[..slash].Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n)
            || !(n > 0) || double.IsInfinity(n))
            throw new HrmException($"--rate-limit must look like 10/s or 120/min, got '{text}'");
        return n / per;
    }
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
    readonly ExampleSource examples;
    public WebApplication App { get; }

    HrmServer(Solver solver, string checkpoint, ServeOptions options)
    {
        this.solver = solver; this.checkpoint = checkpoint; this.options = options.Validate();
        parameters = solver.Model.parameters().Sum(p => p.numel());
        batcher = new BatchSolver(solver, options.Batch);
        examples = new ExampleSource(solver, ExamplePuzzles.RunDataset(checkpoint));

        // Production always: the development environment would add an exception page that shows stack traces.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory, EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.Address(), options.Port);
            k.Limits.MaxRequestBodySize = options.MaxBody;
            k.Limits.RequestHeadersTimeout = options.RequestTimeout;
            k.AddServerHeader = false;
        });
        if (options.RateLimit is { } rate) builder.Services.AddRateLimiter(o => RateLimits(o, rate));
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.DrainTimeout);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "hrm serve";
            doc.Info.Description = "Solve puzzles with one Hierarchical Reasoning Model checkpoint.";
            return Task.CompletedTask;
        }));
        App = builder.Build();
        examples.Log = App.Logger;
        if (options.RateLimit is not null) App.UseRateLimiter();
        if (options.ApiKey is { } key) App.Use(RequireKey(SHA256.HashData(Encoding.UTF8.GetBytes(key))));
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

    /// <summary>A token bucket per client IP address over the API routes (/v1/...): a burst of one second's worth, refilled
    /// at the rate; past it 429 with Retry-After. The page, /healthz and the OpenAPI document are not counted.</summary>
    static void RateLimits(RateLimiterOptions o, double rate)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1 / rate, 0.05));
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, (int)Math.Ceiling(rate)), TokensPerPeriod = Math.Max(1, (int)Math.Round(rate * period.TotalSeconds)),
            ReplenishmentPeriod = period, QueueLimit = 0, AutoReplenishment = true,
        };
        o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
            ctx.Request.Path.StartsWithSegments("/v1")
                ? RateLimitPartition.GetTokenBucketLimiter(ctx.Connection.RemoteIpAddress?.ToString() ?? "?", _ => bucket)
                : RateLimitPartition.GetNoLimiter(""));
        o.RejectionStatusCode = 429;
        o.OnRejected = async (ctx, cancel) =>
        {
            var wait = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : period;
            int seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            ctx.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await ctx.HttpContext.Response.WriteAsJsonAsync(new ErrorBody(
                $"too many requests: this server allows {rate.ToString("0.###", CultureInfo.InvariantCulture)} per second per client; retry after {seconds} s", 429), cancel);
        };
    }

    /// <summary>Every request but the page (GET /) needs <c>Authorization: Bearer KEY</c>; the key is compared as a
    /// SHA-256 digest with <see cref="CryptographicOperations.FixedTimeEquals"/>, so the time taken says nothing about it.</summary>
    static Func<HttpContext, RequestDelegate, Task> RequireKey(byte[] keyDigest) => async (ctx, next) =>
    {
        if ((HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method)) && ctx.Request.Path == "/")
        {
            await next(ctx);
            return;
        }
        var header = ctx.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        bool ok = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim())), keyDigest);
        if (ok) { await next(ctx); return; }
        ctx.Response.StatusCode = 401;
        ctx.Response.Headers.WWWAuthenticate = "Bearer";
        await ctx.Response.WriteAsJsonAsync(new ErrorBody(header.Length == 0
            ? "this server needs an API key: send the header Authorization: Bearer KEY"
            : "wrong API key (expected the header Authorization: Bearer KEY)", 401));
    };

    void Map(WebApplication app)
    {
        app.MapOpenApi();
        // With a key the page carries no facts about the model: app.js asks /v1/model with the key it is given.
        app.MapGet("/", () => Results.Content(WebApp.Render(options.ApiKey is null ? ModelInfo() : new Dictionary<string, object?> { ["auth"] = true }),
                "text/html; charset=utf-8"))
            .WithSummary("The web app: type or paste a puzzle, press Solve, watch the steps").ExcludeFromDescription();
        app.MapGet("/healthz", () => Results.Json(new Dictionary<string, object?>
        {
            ["status"] = "ok", ["task"] = solver.Task.Name, ["waiting"] = batcher.Waiting,
            ["batches"] = batcher.Counts.Batches, ["rows"] = batcher.Counts.Rows,
        })).WithSummary("Liveness and the batcher's counters");
        app.MapGet("/v1/model", () => Results.Json(ModelInfo()))
            .WithSummary("The model: task, architecture, config, parameter count, checkpoint");
        app.MapGet("/v1/example", (Delegate)(Func<HttpContext, Task>)Example)
            .Produces<Dictionary<string, object?>>(200).Produces<ErrorBody>(400)
            .WithSummary("An example puzzle of the model's task: held out from the run's dataset when it is present, else generated; ?index=N picks one");
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
        // Beyond loopback the checkpoint's name only: a response shows no server paths to the network.
        ["checkpoint"] = options.Loopback ? checkpoint : Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpoint)),
        ["grid"] = solver.Task.GridSizes is [var first, ..] ? new Dictionary<string, int> { ["rows"] = first.Rows, ["cols"] = first.Cols } : null,
        ["grid_sizes"] = solver.Task.GridSizes.Select(g => new[] { g.Rows, g.Cols }).ToArray(),
        ["examples"] = examples.Kind,
        ["auth"] = options.ApiKey is not null,
        ["rate_limit"] = options.RateLimit,
        ["request_timeout_s"] = options.RequestTimeout.TotalSeconds,
        ["halt_max_steps"] = solver.Config.HaltMaxSteps,
        ["max_steps_limit"] = SolveRequest.MaxStepsLimit(solver),
        ["max_batch"] = options.Batch.MaxBatch,
        ["max_samples"] = options.MaxSamples,
        ["search"] = solver.Options.Search is { } ds ? new Dictionary<string, object?>
        {
            ["samples"] = ds.Samples, ["select"] = SearchOptions.Name(ds.Select), ["noise"] = ds.Noise, ["perturb"] = SearchOptions.Name(ds.Perturb),
        } : null,
        ["max_body"] = options.MaxBody,
    };

    async Task Example(HttpContext ctx) => await Guard(ctx, async () =>
    {
        int index = 0;
        if (ctx.Request.Query.TryGetValue("index", out var v)
            && (!int.TryParse(v.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out index) || index < 0))
            throw new ApiError(400, "index must be a non-negative integer");
        await Results.Json(examples.Get(index), Json).ExecuteAsync(ctx);
    });

    async Task<SolveRequest> ReadRequest(HttpContext ctx)
    {
        if (ctx.Request.ContentLength > options.MaxBody)
            throw new ApiError(413, $"request body of {ctx.Request.ContentLength} bytes is over the limit of {options.MaxBody} bytes");
        using var buffer = new MemoryStream();
        // The whole body within the request timeout (Kestrel's minimum data rate also stops a trickle).
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        timeout.CancelAfter(options.RequestTimeout);
        try { await ctx.Request.Body.CopyToAsync(buffer, timeout.Token); }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            throw new ApiError(413, $"request body is over the limit of {options.MaxBody} bytes");
        }
        catch (Exception e) when (!ctx.RequestAborted.IsCancellationRequested
            && (e is OperationCanceledException || e is BadHttpRequestException { StatusCode: 408 }))
        {
            throw new ApiError(408, $"the request body did not arrive within {options.RequestTimeout.TotalSeconds:0.###} s");
        }
        if (buffer.Length > options.MaxBody) throw new ApiError(413, $"request body is over the limit of {options.MaxBody} bytes");
        if (buffer.Length == 0) throw new ApiError(400, "empty body: expected a JSON object with a \"puzzle\"");
        return SolveRequest.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), solver, options.MaxSamples);
    }

    Dictionary<string, object?> Response(SolveRequest req, RowResult row, List<TraceEntry>? entries)
    {
        var answer = row.Search is { } found ? solver.With(solver.Options with { Search = req.Search }).Answer(req.Input, found, req.Expected)
            : solver.Answer(req.Input, row, req.Expected);
        var body = answer.ToJsonObject();
        body.Remove("name");
        body["task"] = solver.Task.Name;
        body["halt_rule"] = req.Halt.ToString();
        var expected = req.Expected;
        if (expected is not null) body["expected"] = expected;
        // A task without a rule is judged by the expected answer itself ("valid"); beside a rule, "correct" says it.
        if (expected is not null && solver.Task.HasRule) body["correct"] = expected == answer.Text;
        if (entries is not null)
        {
            var puzzle = Tracer.PuzzleOf(solver.Task, req.Input, expected);
            bool? correct = expected is null ? null : expected == answer.Text;
            body["trace"] = new Trace(puzzle, entries, Decoding(req), answer.Valid, correct, answer.Problem) { Search = answer.Search };
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
            entries is null ? null : entries.Add, req.PerStep) { Search = req.Search }, ctx.RequestAborted);
        await Results.Json(Response(req, row, entries), Json).ExecuteAsync(ctx);
    });

    async Task Stream(HttpContext ctx) => await Guard(ctx, async () =>
    {
        var req = await ReadRequest(ctx);
        var channel = Channel.CreateUnbounded<TraceEntry>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var done = batcher.Submit(new BatchJob(req.Input, req.PuzzleId, req.Halt, req.MaxSegments, e => channel.Writer.TryWrite(e), req.PerStep) { Search = req.Search },
            ctx.RequestAborted);
        _ = done.ContinueWith(_ => channel.Writer.TryComplete(), TaskScheduler.Default);

        // From here the status is 200: later failures are an "error" event.
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        var expected = req.Expected;
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
            App.Logger.LogError(e, "streamed request failed");
            await Event(ctx, "error", new ErrorBody(e is HrmException ? SolveRequest.OneLine(e.Message) : "internal error (the server's log has the details)", 500));
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
                _ => (500, "internal error (the server's log has the details)"),
            };
            if (status == 500) App.Logger.LogError(e, "request failed");
            if (status == 503) ctx.Response.Headers.RetryAfter = "1";
            // The body was not (all) read: close the connection rather than leave the rest of it to the next request.
            if (status is 408 or 413) ctx.Response.Headers.Connection = "close";
            ctx.Response.StatusCode = status;
            await ctx.Response.WriteAsJsonAsync(new ErrorBody(message, status));
        }
        catch (Exception e)
        {
            App.Logger.LogError(e, "request failed after its response started");
        }
    }
}
