using System.CommandLine;
using Hrm.Evaluation;
using Hrm.Interop;
using Hrm.Runtime;
using Hrm.Server;
using Hrm.Serving;
using Hrm.Tasks.Maze;
using Hrm.Training;

namespace Hrm.Cli.Commands;

/// <summary>`hrm serve`: one checkpoint behind an HTTP API and a web app (a thin shell over <see cref="HrmServer"/>).</summary>
public static class ServeCommand
{
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = Common.CheckpointHelp, Required = true };
        var config = new Option<string?>("--config") { Description = "Model config JSON, if not beside the weights." };
        var host = new Option<string>("--host") { Description = "Address to bind: an IP address or localhost. 0.0.0.0 exposes the server to the network.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port).", DefaultValueFactory = _ => 8080 };
        var maxBody = new Option<long>("--max-body") { Description = "Largest request body in bytes (413 above it).", DefaultValueFactory = _ => 1 << 20 };
        var maxBatch = new Option<int>("--max-batch") { Description = "Requests in one forward pass at most (1: no batching).", DefaultValueFactory = _ => 32 };
        var window = new Option<double>("--batch-window-ms") { Description = "How long the first request of a batch waits for others.", DefaultValueFactory = _ => 5 };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests waiting at most; beyond it the server answers 503 with Retry-After.", DefaultValueFactory = _ => 256 };
        var verbose = new Option<bool>("--verbose") { Description = "Log every request." };
        var grid = new Option<int?>("--grid") { Description = "Maze models: serve N x N mazes with the checkpoint's weights built for that size (a size-free model such as grid_conv; default: the size in its config)." };
        var apiKey = new Option<string?>("--api-key") { Description = "Require Authorization: Bearer KEY on every request but the page itself (default: $HRM_API_KEY). Needed to bind a non-loopback address, unless --no-auth." };
        var noAuth = new Option<bool>("--no-auth") { Description = "Serve a non-loopback address without an API key (your explicit choice)." };
        var rateLimit = new Option<string?>("--rate-limit") { Description = "API requests per client IP address, e.g. 10/s or 120/min; beyond it 429 with Retry-After." };
        var requestTimeout = new Option<double>("--request-timeout") { Description = "Seconds a request's headers, then its body, may take to arrive (408 after).", DefaultValueFactory = _ => 30 };
        var data = new Option<string?>("--data") { Description = "For a checkpoint of the authors' code (step_N with all_config.yaml): the dataset it was trained on (default: the data path in all_config.yaml)." };
        var maxSamples = new Option<int>("--max-samples") { Description = "The most search trajectories (\"samples\") one request may ask for (400 above).", DefaultValueFactory = _ => ServeOptions.DefaultMaxSamples };
        var search = Common.SearchOptionSet.Create();
        var dtype = Common.InferenceDtypeOption();
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();
        var cmd = new Command("serve", """
            Serve one checkpoint over HTTP: a web app at / (type or paste a puzzle, press Solve, watch the steps),
            POST /v1/solve, POST /v1/solve/stream (server-sent events), GET /v1/model, GET /healthz and the OpenAPI
            document at /openapi/v1.json. Concurrent requests are batched into one forward pass. Ctrl-C drains
            requests in flight. See docs/serve.md.
            Binding anything but loopback needs --api-key KEY (or HRM_API_KEY) or an explicit --no-auth.
            Examples:
              hrm serve --checkpoint runs/sudoku4
              hrm serve --checkpoint runs/maze9 --port 9000 --max-batch 64
              hrm serve --checkpoint models/maze --grid 11
              hrm serve --checkpoint runs/maze9 --host 0.0.0.0 --api-key "$KEY" --rate-limit 10/s
            """) { checkpoint, config, data, host, port, maxBody, maxBatch, window, maxQueue, verbose, apiKey, noAuth, rateLimit, requestTimeout, grid, dtype, threads, device };
        cmd.Options.Add(maxSamples);
        foreach (var o in search.All) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var options = new ServeOptions
            {
                Host = parse.GetValue(host)!, Port = parse.GetValue(port), MaxBody = parse.GetValue(maxBody), Verbose = parse.GetValue(verbose),
                ApiKey = parse.GetValue(apiKey) ?? (Environment.GetEnvironmentVariable("HRM_API_KEY") is { Length: > 0 } env ? env : null),
                NoAuth = parse.GetValue(noAuth),
                RateLimit = parse.GetValue(rateLimit) is { } rate ? ServeOptions.ParseRate(rate) : null,
                MaxSamples = parse.GetValue(maxSamples),
                RequestTimeout = parse.GetValue(requestTimeout) is var t && t is >= 0.1 and <= 3600 ? TimeSpan.FromSeconds(t)
                    : throw new HrmException($"--request-timeout must be 0.1..3600 seconds, got {t}"),
                Batch = new BatchOptions
                {
                    MaxBatch = parse.GetValue(maxBatch), MaxQueue = parse.GetValue(maxQueue),
                    Window = parse.GetValue(window) is var ms && ms is >= 0 and <= 10_000 ? TimeSpan.FromMilliseconds(ms)
                        : throw new HrmException($"--batch-window-ms must be 0..10000, got {ms}"),
                },
            }.Validate();
            Common.SetThreads(parse.GetValue(threads));
            var dev = TorchRuntime.ParseDevice(parse.GetValue(device)!);
            var ckpt = parse.GetValue(checkpoint)!;
            var requested = parse.GetValue(dtype) is string d ? PrecisionProbe.Check(d) : null;
            if (requested == "auto")
            {
                // Decided on this model's own no-gradient segment at the largest batch a forward pass may hold.
                var cfg = ModelStore.LoadConfig(ModelStore.Resolve(ckpt, parse.GetValue(config)).Config, parse.GetValue(data));
                if (parse.GetValue(grid) is int side) cfg = cfg with { SeqLen = side * side };
                requested = ModelPrecision.ForInference("auto", cfg, options.Batch.MaxBatch, dev, log: Console.Error.WriteLine).Dtype;
            }
            // The requests' default search: --samples/--select, else the model's measured default (search.json), else none.
            var defaults = search.Parse(parse) ?? SearchOptions.ReadDefaults(ckpt);
            if (defaults is { } ds && ds.Samples > options.MaxSamples) throw new HrmException($"--samples {ds.Samples} is over --max-samples {options.MaxSamples}");
            using var loaded = Solver.Load(ckpt, parse.GetValue(config), dev, new SolverOptions { Search = defaults }, dataDir: parse.GetValue(data), forwardDtype: requested);
            if (parse.GetValue(grid) is < MazeGeneratorOptions.MinSize or > MazeGeneratorOptions.MaxSize)
                throw new HrmException($"--grid must be {MazeGeneratorOptions.MinSize}..{MazeGeneratorOptions.MaxSize}");
            var solver = parse.GetValue(grid) is int n ? loaded.ForSeqLen(n * n) : loaded;
            var server = HrmServer.Create(solver, ckpt, options);
            try
            {
                server.StartAsync().GetAwaiter().GetResult();
                Console.WriteLine($"hrm serve: {solver.Describe()}, {solver.Config.Architecture.Name}, on {dev}");
                Console.WriteLine($"listening on {server.Address} (web app at {server.Address}, API at {server.Address}v1/solve); Ctrl-C stops after requests in flight");
                Console.WriteLine(options.ApiKey is not null ? "API key required: Authorization: Bearer KEY (the page asks for it)"
                    : options.Loopback ? "no API key (loopback only)" : "no API key (--no-auth): anyone who reaches this address can use it");
                server.WaitForShutdownAsync().GetAwaiter().GetResult();
                var (batches, rows) = server.Batcher.Counts;
                Console.WriteLine($"stopped: {rows} puzzle(s) in {batches} forward-pass batch(es)");
            }
            finally { server.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
            return 0;
        });
        return cmd;
    }
}
