using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hrm.Server;
using Hrm.Tasks.Sudoku;
using Hrm.Tests.Cli;

namespace Hrm.Tests.Server;

/// <summary>
/// `hrm serve` beyond loopback, on a real server: the API key (401 without or with a wrong one, 200 with it), the
/// per-client rate limit (429 with Retry-After), request timeouts (a slow body or slow headers get 408 within the
/// timeout), JSON depth, no stack traces or paths in responses, and refusing to bind 0.0.0.0 without a choice.
/// </summary>
public sealed class ServerSafetyTests
{
    const string Key = "test-key-3f9a0c";
    const string Puzzle = "1...\n..2.\n.3..\n...4";

    static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    static HttpRequestMessage Get(string path, string? auth)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (auth is not null) req.Headers.TryAddWithoutValidation("Authorization", auth);
        return req;
    }

    [Fact]
    public async Task With_a_key_requests_need_it_and_the_page_does_not()
    {
        await using var s = await TestServer.Start(new ServeOptions { ApiKey = Key });
        foreach (var path in new[] { "/v1/model", "/healthz", "/v1/example", "/openapi/v1.json", "/nowhere" })
        {
            foreach (var auth in new string?[] { null, "Bearer wrong", $"Bearer {Key}x", $"Bearer {Key[..^1]}", Key, $"Basic {Key}" })
            {
                var res = await s.Http.SendAsync(Get(path, auth));
                Assert.True(res.StatusCode == HttpStatusCode.Unauthorized, $"{path} with {auth ?? "no header"}: {res.StatusCode}");
                Assert.Equal("Bearer", res.Headers.WwwAuthenticate.Single().Scheme);
                var body = JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(401, body.GetProperty("status").GetInt32());
                Assert.Contains("Authorization: Bearer", body.GetProperty("error").GetString());
            }
        }
        var post = new HttpRequestMessage(HttpMethod.Post, "/v1/solve") { Content = Json(JsonSerializer.Serialize(new { puzzle = Puzzle })) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Http.SendAsync(post)).StatusCode);

        // The right key, with the scheme in any case.
        foreach (var auth in new[] { $"Bearer {Key}", $"bearer {Key}" })
            Assert.Equal(HttpStatusCode.OK, (await s.Http.SendAsync(Get("/v1/model", auth))).StatusCode);
        post = new HttpRequestMessage(HttpMethod.Post, "/v1/solve") { Content = Json(JsonSerializer.Serialize(new { puzzle = Puzzle })) };
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var ok = await s.Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(s.Solver.Solve(Puzzle).Text, JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement.GetProperty("answer").GetString());

        // The page loads without the key and tells nothing about the model (app.js asks /v1/model with the key).
        var page = await s.Http.SendAsync(Get("/", null));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("{\"auth\":true}", html);
        Assert.DoesNotContain(s.Checkpoint, html);
        Assert.DoesNotContain("seq_len", html);
    }

    [Fact]
    public async Task Past_the_rate_a_client_gets_429_with_retry_after()
    {
        await using var s = await TestServer.Start(new ServeOptions { RateLimit = ServeOptions.ParseRate("2/s") });
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (int i = 0; i < 6; i++)
        {
            var res = await s.Http.GetAsync("/v1/model");
            statuses.Add(res.StatusCode);
            if (res.StatusCode == HttpStatusCode.TooManyRequests) limited ??= res;
        }
        // A burst of two (one second's worth), then refused.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK], statuses.Take(2));
        Assert.NotNull(limited);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.InRange(limited!.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 2);
        var body = JsonDocument.Parse(await limited.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(429, body.GetProperty("status").GetInt32());
        Assert.Contains("too many requests", body.GetProperty("error").GetString());
        // The page is not counted; the bucket refills at the rate.
        Assert.Equal(HttpStatusCode.OK, (await s.Http.GetAsync("/")).StatusCode);
        await Task.Delay(1100);
        Assert.Equal(HttpStatusCode.OK, (await s.Http.GetAsync("/v1/model")).StatusCode);
    }

    [Fact]
    public async Task A_deeply_nested_body_is_400_at_once()
    {
        await using var s = await TestServer.Start();
        var clock = Stopwatch.StartNew();
        foreach (var body in new[]
        {
            "{\"puzzle\": \"1...\", \"x\": " + new string('[', 100_000) + new string(']', 100_000) + "}",
            "{\"puzzle\": " + string.Concat(Enumerable.Repeat("{\"a\": ", 40)) + "1" + new string('}', 40) + "}",
        })
        {
            foreach (var path in new[] { "/v1/solve", "/v1/solve/stream" })
            {
                var res = await s.Http.PostAsync(path, Json(body));
                Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
                var error = JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
                Assert.Equal($"invalid JSON: nested deeper than {ServeOptions.MaxJsonDepth} levels", error);
            }
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    /// <summary>Sends <paramref name="head"/> over a raw connection, then nothing; returns what comes back and when.</summary>
    static async Task<(string Response, TimeSpan Elapsed)> SendAndStall(Uri server, string head)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var clock = Stopwatch.StartNew();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cancel.Token)) > 0) received.Write(buffer, 0, n);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException) { }
        return (Encoding.UTF8.GetString(received.ToArray()), clock.Elapsed);
    }

    [Fact]
    public async Task A_slow_body_or_slow_headers_get_408_within_the_timeout()
    {
        await using var s = await TestServer.Start(new ServeOptions { RequestTimeout = TimeSpan.FromSeconds(1) });
        var address = s.Server.Address;
        // The body promises 200 bytes and sends 12.
        var (response, elapsed) = await SendAndStall(address,
            $"POST /v1/solve HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"puzzle\": \"");
        Assert.StartsWith("HTTP/1.1 408", response);
        Assert.Contains("the request body did not arrive within 1 s", response);
        Assert.True(elapsed < TimeSpan.FromSeconds(6), $"the 408 came after {elapsed}");
        Assert.Contains("Connection: close", response, StringComparison.OrdinalIgnoreCase);

        // Headers that never end: Kestrel's RequestHeadersTimeout answers 408 and closes.
        (response, elapsed) = await SendAndStall(address, $"POST /v1/solve HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Ty");
        Assert.StartsWith("HTTP/1.1 408", response);
        Assert.True(elapsed < TimeSpan.FromSeconds(6), $"the 408 came after {elapsed}");

        // The server still answers.
        Assert.Equal(HttpStatusCode.OK, (await s.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task No_response_shows_a_stack_trace_or_a_path()
    {
        await using var s = await TestServer.Start(new ServeOptions { MaxBody = 4096 });
        var dir = Path.GetDirectoryName(s.Checkpoint)!;
        var bodies = new[]
        {
            "{", "[]", "{\"puzzle\": 1}", "{\"puzzle\": \"1..x\"}", "{\"puzzle\": \"1...\", \"halt\": \"never\"}",
            "{\"puzzle\": \"" + new string('.', 5000) + "\"}", "{\"puzzle\": \"....\", \"expected\": 3}", "{\"puzzle\": \"....\", \"expected\": \"12\"}",
            "\u0000\u0001", "{\"puzzle\": \"\\ud800\"}",
        };
        foreach (var path in new[] { "/v1/solve", "/v1/solve/stream" })
            foreach (var body in bodies)
            {
                HttpResponseMessage res;
                try { res = await s.Http.PostAsync(path, Json(body)); }
                catch (HttpRequestException e) { throw new Xunit.Sdk.XunitException($"{path} {body[..Math.Min(body.Length, 40)]}: {e.Message}"); }
                var text = await res.Content.ReadAsStringAsync();
                Assert.True((int)res.StatusCode is >= 400 and < 500, $"{path} {body[..Math.Min(body.Length, 40)]}: {res.StatusCode} {text}");
                Assert.DoesNotContain("   at ", text);
                Assert.DoesNotMatch(@"at [A-Z][\w.`]+\.\w+\(", text);   // a stack frame: at Namespace.Type.Method(
                Assert.DoesNotContain("Exception", text);
                Assert.DoesNotContain(dir, text);
                Assert.DoesNotContain(".cs:line", text);
            }
        foreach (var path in new[] { "/v1/example?index=x", "/v1/example?index=-1" })
        {
            var res = await s.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
            Assert.Contains("index must be a non-negative integer", await res.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("192.168.1.10")]
    public void Binding_beyond_loopback_needs_a_key_or_an_explicit_no_auth(string host)
    {
        var e = Assert.Throws<HrmException>(() => new ServeOptions { Host = host }.Validate());
        Assert.Contains("--api-key KEY (or set HRM_API_KEY), or --no-auth", e.Message);
        Assert.False(new ServeOptions { Host = host, ApiKey = Key }.Validate().Loopback);
        new ServeOptions { Host = host, NoAuth = true }.Validate();
        Assert.Throws<HrmException>(() => new ServeOptions { Host = host, ApiKey = Key, NoAuth = true }.Validate());
        foreach (var loop in new[] { "127.0.0.1", "localhost", "::1" }) Assert.True(new ServeOptions { Host = loop }.Validate().Loopback);
    }

    [Fact]
    public void The_serve_command_refuses_0_0_0_0_without_a_choice_in_one_line()
    {
        using var temp = new TempDirectory();
        var model = TestServer.SaveModel(temp, 16, 6, "sudoku");
        var r = CliHarness.Run("serve", "--checkpoint", model, "--host", "0.0.0.0", "--port", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("error: binding 0.0.0.0 (not loopback) exposes the server to the network: give --api-key KEY (or set HRM_API_KEY), or --no-auth to serve it without one",
            r.Error.Trim());
        r = CliHarness.Run("serve", "--checkpoint", model, "--rate-limit", "fast");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("error: --rate-limit must look like 10/s or 120/min, got 'fast'", r.Error.Trim());
        r = CliHarness.Run("serve", "--checkpoint", model, "--api-key", "has space");
        Assert.Contains("printable ASCII without spaces", r.Error);
    }

    [Theory]
    [InlineData("10/s", 10)]
    [InlineData("0.5/s", 0.5)]
    [InlineData("120/min", 2)]
    [InlineData(" 3 / sec ", 3)]
    public void Rates_parse(string text, double perSecond) => Assert.Equal(perSecond, ServeOptions.ParseRate(text), 9);

    [Fact]
    public async Task Examples_come_held_out_from_the_runs_dataset_and_else_generated()
    {
        // Generated: no train_config.json beside the model.
        await using (var s = await TestServer.Start())
        {
            var a = JsonDocument.Parse(await s.Http.GetStringAsync("/v1/example?index=3")).RootElement;
            Assert.StartsWith("generated (seed 3)", a.GetProperty("source").GetString());
            var input = s.Solver.Task.Parse(a.GetProperty("puzzle").GetString()!);
            var solution = SudokuShape.Size4.Encode(a.GetProperty("expected").GetString()!.Replace("\n", "").Select(c => c - '0').ToArray());
            Assert.Null(s.Solver.Task.Check(input, solution));
            Assert.Equal(a.GetRawText(), JsonDocument.Parse(await s.Http.GetStringAsync("/v1/example?index=3")).RootElement.GetRawText());
            Assert.Equal("generated", JsonDocument.Parse(await s.Http.GetStringAsync("/v1/model")).RootElement.GetProperty("examples").GetString());

            // The example's expected answer goes along with a solve and is compared.
            var res = await s.Http.PostAsync("/v1/solve", Json(JsonSerializer.Serialize(new { puzzle = a.GetProperty("puzzle").GetString(), expected = a.GetProperty("expected").GetString() })));
            var body = JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            Assert.Equal(a.GetProperty("expected").GetString(), body.GetProperty("expected").GetString());
            Assert.Equal(body.GetProperty("answer").GetString() == body.GetProperty("expected").GetString(), body.GetProperty("correct").GetBoolean());
        }

        // From the dataset named by train_config.json: the test split's puzzles in order, cycling.
        using var temp = new TempDirectory();
        var data = temp.File("data");
        var seen = new HashSet<string>();
        var test = SudokuGenerator.Generate(SudokuShape.Size4, 3, new SudokuGeneratorOptions(), 2, seen);
        SudokuDataset.Write(data, SudokuShape.Size4, SudokuGenerator.Generate(SudokuShape.Size4, 4, new SudokuGeneratorOptions(), 1, seen), test, numAug: 0, seed: 1);
        var model = TestServer.SaveModel(temp, 16, 6, "sudoku");
        File.WriteAllText(Path.Combine(model, "train_config.json"), JsonSerializer.Serialize(new { data_path = data }));
        await using var d = await TestServer.StartFrom(model);
        Assert.Equal("dataset", JsonDocument.Parse(await d.Http.GetStringAsync("/v1/model")).RootElement.GetProperty("examples").GetString());
        var shown = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            var e = JsonDocument.Parse(await d.Http.GetStringAsync($"/v1/example?index={i}")).RootElement;
            Assert.Contains($"held out: puzzle {i % 3 + 1} of 3 in the test split", e.GetProperty("source").GetString());
            Assert.DoesNotContain(data, e.GetRawText());
            shown.Add(e.GetProperty("puzzle").GetString()!);
            var expected = e.GetProperty("expected").GetString()!.Replace("\n", "");
            Assert.Contains(test, p => SudokuShape.Format(p.Solution) == expected && SudokuShape.Format(p.Cells) == shown[^1]);
        }
        Assert.Equal(3, shown.Take(3).Distinct().Count());
        Assert.Equal(shown[0], shown[3]);
    }
}
