using System.CommandLine;
using Hrm.Evaluation;
using Hrm.Runtime;
using Hrm.Server;

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
        var data = new Option<string?>("--data") { Description = "For a checkpoint of the authors' code (step_N with all_config.yaml): the dataset it was trained on (default: the data path in all_config.yaml)." };
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();
        var cmd = new Command("serve", """
            Serve one checkpoint over HTTP: a web app at / (type or paste a puzzle, press Solve, watch the steps),
            POST /v1/solve, POST /v1/solve/stream (server-sent events), GET /v1/model, GET /healthz and the OpenAPI
            document at /openapi/v1.json. Concurrent requests are batched into one forward pass. Ctrl-C drains
            requests in flight. See docs/serve.md.
            Examples:
              hrm serve --checkpoint runs/sudoku4
              hrm serve --checkpoint runs/maze9 --port 9000 --max-batch 64
            """) { checkpoint, config, data, host, port, maxBody, maxBatch, window, maxQueue, verbose, threads, device };
        cmd.SetAction(parse =>
        {
            var options = new ServeOptions
            {
                Host = parse.GetValue(host)!, Port = parse.GetValue(port), MaxBody = parse.GetValue(maxBody), Verbose = parse.GetValue(verbose),
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
            using var solver = Solver.Load(ckpt, parse.GetValue(config), dev, dataDir: parse.GetValue(data));
            var server = HrmServer.Create(solver, ckpt, options);
            try
            {
                server.StartAsync().GetAwaiter().GetResult();
                Console.WriteLine($"hrm serve: {solver.Describe()}, {solver.Config.Architecture.Name}, on {dev}");
                Console.WriteLine($"listening on {server.Address} (web app at {server.Address}, API at {server.Address}v1/solve); Ctrl-C stops after requests in flight");
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
