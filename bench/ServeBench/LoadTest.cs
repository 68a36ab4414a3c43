// The load test (`--load`): starts `hrm serve` as its own process on a free loopback port, drives it with N clients
// for a fixed time (each sends its next POST /v1/solve as soon as the last one answers), and records requests/s,
// p50/p99/max latency, every non-200 and every failed request, and the server's resident memory (VmRSS of its
// process) every second. Bounded: it stops at --seconds or --requests, whichever comes first, and talks to 127.0.0.1
// only. With --check it exits 1 when a request failed or was not 200, p99 passed --max-p99-ms, or the resident memory
// grew more than --max-growth-pct from the end of the first minute to the end of the run.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hrm;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;

static class LoadTest
{
    public static async Task<int> Run(Dictionary<string, string> opts)
    {
        string Get(string k, string d) => opts.TryGetValue(k, out var v) ? v : d;
        var checkpoint = opts.TryGetValue("checkpoint", out var c) ? c : throw new HrmException("--checkpoint RUN is required");
        var hrm = Get("hrm", Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Hrm.Cli", "bin", "Release", "net10.0", "Hrm.Cli.dll"));
        if (!File.Exists(hrm)) throw new HrmException($"{hrm}: not found: build the CLI (dotnet build src/Hrm.Cli -c Release) or pass --hrm PATH");
        int clients = int.Parse(Get("clients", "16"), CultureInfo.InvariantCulture);
        double seconds = double.Parse(Get("seconds", "120"), CultureInfo.InvariantCulture);
        long maxRequests = long.Parse(Get("requests", "1000000"), CultureInfo.InvariantCulture);
        var halt = Get("halt", "full");
        // Extra fields for every request body, e.g. --extra-json '{"samples": 4}' (search) or '{"max_steps": 4}'.
        var extra = opts.TryGetValue("extra-json", out var ej)
            ? JsonNode.Parse(ej) as JsonObject ?? throw new HrmException("--extra-json must be a JSON object")
            : new JsonObject();
        var serveArgs = Get("serve-args", "");
        int port = FreePort();

        // The server: its own process, so that its resident memory is its own (the clients' is not in it).
        var psi = new ProcessStartInfo(hrm.EndsWith(".dll", StringComparison.Ordinal) ? "dotnet" : hrm)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        if (hrm.EndsWith(".dll", StringComparison.Ordinal)) psi.ArgumentList.Add(hrm);
        foreach (var a in new[] { "serve", "--checkpoint", checkpoint, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        if (opts.TryGetValue("grid", out var grid)) { psi.ArgumentList.Add("--grid"); psi.ArgumentList.Add(grid); }
        foreach (var a in serveArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(a);
        using var server = Process.Start(psi)!;
        var serverLines = new List<string>();
        server.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (serverLines) serverLines.Add(e.Data); };
        server.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (serverLines) serverLines.Add(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 })
            {
                // Bounded: a request still running --grace seconds after the end of the load counts as failed.
                BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
                Timeout = TimeSpan.FromSeconds(seconds + double.Parse(Get("grace", "300"), CultureInfo.InvariantCulture)),
            };
            var model = await WaitReady(http, server, serverLines);
            var task = model["task"]!.GetValue<string>();
            var rows = model["grid"]!["rows"]!.GetValue<int>();
            var bodies = Puzzles(task, rows, int.Parse(Get("puzzles", "64"), CultureInfo.InvariantCulture))
                .Select(p =>
                {
                    var body = new JsonObject { ["puzzle"] = p, ["halt"] = halt };
                    foreach (var (k, v) in extra) body[k] = v?.DeepClone();
                    return body.ToJsonString();
                }).ToArray();
            long paramCount = model["parameters"]?.GetValue<long>() ?? 0;
            Console.WriteLine($"server: hrm serve --checkpoint {checkpoint}{(grid is null ? "" : $" --grid {grid}")} {serveArgs} (pid {server.Id}, port {port}); " +
                              $"{task} {rows}x{rows}, {paramCount:N0} parameters");
            Console.WriteLine($"load: {clients} clients for {seconds} s (at most {maxRequests} requests), halt {halt}, extra {extra.ToJsonString()}, " +
                              $"{bodies.Length} distinct puzzles; {Environment.ProcessorCount} logical cores visible");

            // One request alone: what it leaves behind in the server once it has returned (and a quiet second passed).
            long rssLoaded = Rss(server.Id);
            await Post(http, bodies[0]);
            await Task.Delay(2000);
            long rssOne = Rss(server.Id);

            // Warm-up (not counted): each client once.
            await Task.WhenAll(Enumerable.Range(0, Math.Min(clients, bodies.Length)).Select(i => Post(http, bodies[i])));
            long rssStart = Rss(server.Id);

            var samples = new List<(double T, long Rss)>();
            var lat = new List<double>();
            var statuses = new Dictionary<int, int>();
            var failures = new Dictionary<string, int>();
            long next = -1;
            var clock = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    lock (samples) samples.Add((clock.Elapsed.TotalSeconds, Rss(server.Id)));
                    try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { }
                }
            });
            async Task Client()
            {
                while (true)
                {
                    long i = Interlocked.Increment(ref next);
                    if (i >= maxRequests || clock.Elapsed.TotalSeconds >= seconds) return;
                    var t = Stopwatch.GetTimestamp();
                    var (status, error) = await Post(http, bodies[i % bodies.Length]);
                    var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    lock (lat)
                    {
                        if (error is not null) failures[error] = failures.GetValueOrDefault(error) + 1;
                        else statuses[status] = statuses.GetValueOrDefault(status) + 1;
                        if (status == 200) lat.Add(ms);
                    }
                }
            }
            await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Client)));
            double elapsed = clock.Elapsed.TotalSeconds;
            stop.Cancel();
            await sampler;
            samples.Add((clock.Elapsed.TotalSeconds, Rss(server.Id)));
            // After the load: two quiet seconds, then the server's memory when nothing runs.
            await Task.Delay(2000);
            long rssIdle = Rss(server.Id);

            lat.Sort();
            double P(double q) => lat.Count == 0 ? double.NaN : lat[Math.Min(lat.Count - 1, Math.Max(0, (int)Math.Ceiling(q * lat.Count) - 1))];
            long ok = statuses.GetValueOrDefault(200), notOk = statuses.Where(kv => kv.Key != 200).Sum(kv => kv.Value), failed = failures.Values.Sum();
            // Resident memory: at the end of the first minute (or half the run, if shorter) and at the end of the run.
            double mark = Math.Min(60, elapsed / 2);
            long RssAt(double t) => samples.Where(s => s.T <= t).Select(s => s.Rss).DefaultIfEmpty(samples[0].Rss).Last();
            long PeakBetween(double a, double b) => samples.Where(s => s.T > a && s.T <= b).Select(s => s.Rss).DefaultIfEmpty(0).Max();
            long rssMark = RssAt(mark), rssEnd = samples[^1].Rss;
            double growth = 100.0 * (rssEnd - rssMark) / Math.Max(1, rssMark);
            static double MiB(long b) => Math.Round(b / (1024.0 * 1024), 1);
            var result = new Dictionary<string, object?>
            {
                ["checkpoint"] = checkpoint, ["grid"] = rows, ["task"] = task, ["clients"] = clients, ["seconds"] = Math.Round(elapsed, 1),
                ["halt"] = halt, ["extra"] = extra.ToJsonString(), ["requests"] = ok + notOk + failed, ["ok_200"] = ok,
                ["non_200"] = statuses.Where(kv => kv.Key != 200).ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
                ["failed"] = failures, ["requests_per_s"] = Math.Round(ok / elapsed, 2),
                ["p50_ms"] = Math.Round(P(0.50), 1), ["p99_ms"] = Math.Round(P(0.99), 1), ["max_ms"] = Math.Round(lat.Count == 0 ? double.NaN : lat[^1], 1),
                ["rss_mib_loaded"] = MiB(rssLoaded), ["rss_mib_after_one_request"] = MiB(rssOne), ["rss_mib_after_warmup"] = MiB(rssStart), ["rss_mib_at_mark"] = MiB(rssMark), ["mark_s"] = Math.Round(mark, 1), ["rss_mib_end"] = MiB(rssEnd),
                ["rss_peak_mib_first_part"] = MiB(PeakBetween(0, mark)), ["rss_peak_mib_second_part"] = MiB(PeakBetween(mark, double.MaxValue)),
                ["rss_growth_pct"] = Math.Round(growth, 2), ["rss_mib_idle_after"] = MiB(rssIdle),
                ["rss_mib_every_10s"] = samples.Where((s, i) => i % 10 == 0).Select(s => MiB(s.Rss)).ToArray(),
                ["server_log_lines"] = serverLines.Count,
            };
            foreach (var (k, v) in result) Console.WriteLine($"  {k}: {(v is string or null ? v : JsonSerializer.Serialize(v))}");
            if (opts.TryGetValue("json", out var jsonPath))
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));

            if (!opts.ContainsKey("check")) return 0;
            double maxP99 = double.Parse(Get("max-p99-ms", "1000"), CultureInfo.InvariantCulture);
            double maxGrowth = double.Parse(Get("max-growth-pct", "5"), CultureInfo.InvariantCulture);
            var problems = new List<string>();
            if (notOk + failed > 0) problems.Add($"{notOk} non-200 and {failed} failed requests");
            if (!(P(0.99) <= maxP99)) problems.Add($"p99 {P(0.99):0} ms > {maxP99} ms");
            if (growth > maxGrowth) problems.Add($"resident memory grew {growth:0.0}% > {maxGrowth}%");
            Console.WriteLine(problems.Count == 0 ? "check: PASS" : "check: FAIL: " + string.Join("; ", problems));
            return problems.Count == 0 ? 0 : 1;
        }
        finally
        {
            if (!server.HasExited) { server.Kill(); server.WaitForExit(); }
        }
    }

    static async Task<(int Status, string? Error)> Post(HttpClient http, string body)
    {
        try
        {
            using var res = await http.PostAsync("v1/solve", new StringContent(body, Encoding.UTF8, "application/json"));
            await res.Content.ReadAsByteArrayAsync();
            return ((int)res.StatusCode, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return (0, e.GetType().Name + ": " + e.Message.Split('\n')[0]);
        }
    }

    static async Task<JsonNode> WaitReady(HttpClient http, Process server, List<string> lines)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (server.HasExited)
                lock (lines) throw new HrmException($"hrm serve exited with code {server.ExitCode}: {string.Join(" | ", lines.TakeLast(5))}");
            try { return JsonNode.Parse(await http.GetStringAsync("v1/model"))!; }
            catch (HttpRequestException) { await Task.Delay(200); }
        }
        throw new HrmException("hrm serve did not answer within 2 minutes");
    }

    static IEnumerable<string> Puzzles(string task, int n, int count)
    {
        var rng = new Random(1);
        if (task == "sudoku")
        {
            var shape = SudokuShape.OfCellCount(n * n) ?? throw new HrmException($"no {n}x{n} Sudoku");
            var gen = new SudokuGenerator(shape);
            return Enumerable.Range(0, count).Select(_ => SudokuShape.Format(gen.GenerateOne(rng).Cells)).ToList();
        }
        if (task == "maze")
        {
            var gen = new MazeGenerator(new MazeGeneratorOptions(n));
            return Enumerable.Range(0, count).Select(_ => MazeEncoding.ToText(gen.Next(rng).Input, n)).ToList();
        }
        throw new HrmException($"the load test generates Sudoku and maze puzzles, not {task}");
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>VmRSS of a process, from /proc (Linux); 0 elsewhere.</summary>
    static long Rss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        return 0;
    }
}
