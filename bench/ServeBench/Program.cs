// Load benchmark for `hrm serve`, two modes (bench/RESULTS.md, "hrm serve under load"):
// - the default: starts the server in this process on a free loopback port and drives it with its own HttpClient at 1,
//   8 and 64 concurrent clients (each sends its next request as soon as the last one answers), batched (--max-batch 32)
//   against unbatched (--max-batch 1). Bounded: each cell stops at --requests or --seconds. Then sends --rss-requests
//   more and samples this process's resident set size, to see whether a long-running server grows.
// - --load (LoadTest.cs): `hrm serve` as its own process, N clients for a fixed time, latency percentiles, every
//   non-200, the server's resident memory over time; --check turns the limits into the exit code.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Hrm;
using Hrm.Evaluation;
using Hrm.Runtime;
using Hrm.Server;
using Hrm.Serving;
using Hrm.Tasks.Sudoku;

var opts = new Dictionary<string, string>();
for (int i = 0; i < args.Length; i++)
{
    // --name value, or a flag (--load, --check) when no value follows.
    bool flag = i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal);
    opts[args[i].TrimStart('-')] = flag ? "" : args[++i];
}
if (opts.ContainsKey("load"))
{
    try { return await LoadTest.Run(opts); }
    catch (Exception e) when (e is HrmException or FormatException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
}
string Get(string k, string d) => opts.TryGetValue(k, out var v) ? v : d;
var checkpoint = opts.TryGetValue("checkpoint", out var c) ? c : throw new ArgumentException("--checkpoint RUN is required");
int requests = int.Parse(Get("requests", "2000")), threads = int.Parse(Get("threads", "2")), rssRequests = int.Parse(Get("rss-requests", "3000"));
double seconds = double.Parse(Get("seconds", "15"), CultureInfo.InvariantCulture);
var clientsList = Get("clients", "1,8,64").Split(',').Select(int.Parse).ToArray();
var batches = Get("max-batch", "32,1").Split(',').Select(int.Parse).ToArray();
var halt = Get("halt", "full");
var windowMs = double.Parse(Get("window-ms", "5"), CultureInfo.InvariantCulture);

TorchRuntime.Configure(threads);
using var solver = Solver.Load(checkpoint);
if (solver.Task is not SudokuTask sudoku) throw new HrmException("the benchmark generates Sudoku puzzles: give it a Sudoku checkpoint");
var gen = new SudokuGenerator(sudoku.Shape);
var rng = new Random(1);
var puzzles = Enumerable.Range(0, 256).Select(_ => SudokuShape.Format(gen.GenerateOne(rng).Cells)).ToArray();
var bodies = puzzles.Select(p => JsonSerializer.Serialize(new { puzzle = p, halt })).ToArray();
Console.WriteLine($"model: {solver.Describe()}, {solver.Config.Architecture.Name}, halt_max_steps {solver.Config.HaltMaxSteps}; halt {halt}; torch threads {threads}; {Environment.ProcessorCount} logical cores");

var results = new List<Dictionary<string, object>>();
foreach (var maxBatch in batches)
{
    var server = HrmServer.Create(solver, checkpoint, new ServeOptions { Port = 0, Batch = new BatchOptions { MaxBatch = maxBatch, Window = TimeSpan.FromMilliseconds(windowMs), MaxQueue = 4096 } });
    await server.StartAsync();
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(2) };
    await Drive(http, 4, 40, 30);   // warm-up
    foreach (var clients in clientsList)
    {
        var before = server.Batcher.Counts;
        var (done, elapsed, lat) = await Drive(http, clients, requests, seconds);
        var after = server.Batcher.Counts;
        lat.Sort();
        double P(double q) => lat.Count == 0 ? double.NaN : lat[Math.Min(lat.Count - 1, (int)Math.Ceiling(q * lat.Count) - 1)];
        var row = new Dictionary<string, object>
        {
            ["max_batch"] = maxBatch, ["clients"] = clients, ["requests"] = done, ["seconds"] = Math.Round(elapsed, 2),
            ["puzzles_per_s"] = Math.Round(done / elapsed, 1), ["p50_ms"] = Math.Round(P(0.50), 1), ["p99_ms"] = Math.Round(P(0.99), 1),
            ["mean_batch"] = Math.Round((double)(after.Rows - before.Rows) / Math.Max(1, after.Batches - before.Batches), 2),
        };
        results.Add(row);
        Console.WriteLine(string.Join("  ", row.Select(kv => $"{kv.Key} {kv.Value}")));
    }
    if (maxBatch == batches[0] && rssRequests > 0)
    {
        Console.WriteLine($"RSS over {rssRequests} more requests (8 clients, max batch {maxBatch}):");
        long Rss() { using var p = Process.GetCurrentProcess(); p.Refresh(); return p.WorkingSet64; }
        var samples = new List<(int, long)> { (0, Rss()) };
        int step = Math.Max(1, rssRequests / 6);
        for (int sent = 0; sent < rssRequests; sent += step)
        {
            await Drive(http, 8, step, 600);
            GC.Collect();
            samples.Add((sent + step, Rss()));
        }
        Console.WriteLine("  " + string.Join(", ", samples.Select(s => $"{s.Item1}: {s.Item2 / (1024.0 * 1024):0} MiB")));
    }
    await server.StopAsync();
    await server.DisposeAsync();
}
if (opts.TryGetValue("json", out var jsonPath)) File.WriteAllText(jsonPath, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
return 0;

async Task<(int Done, double Seconds, List<double> Latencies)> Drive(HttpClient http, int clients, int total, double maxSeconds)
{
    int next = -1, done = 0;
    var lat = new List<double>();
    var sw = Stopwatch.StartNew();
    async Task Client()
    {
        while (true)
        {
            int i = Interlocked.Increment(ref next);
            if (i >= total || sw.Elapsed.TotalSeconds > maxSeconds) return;
            var t = Stopwatch.GetTimestamp();
            using var res = await http.PostAsync("/v1/solve", new StringContent(bodies[i % bodies.Length], Encoding.UTF8, "application/json"));
            await res.Content.ReadAsByteArrayAsync();
            if (!res.IsSuccessStatusCode) throw new InvalidOperationException($"status {(int)res.StatusCode}");
            var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            lock (lat) { lat.Add(ms); done++; }
        }
    }
    await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Client)));
    return (done, sw.Elapsed.TotalSeconds, lat);
}
