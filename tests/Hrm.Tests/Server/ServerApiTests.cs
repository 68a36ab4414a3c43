using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hrm.Evaluation;
using Hrm.Server;
using Hrm.Serving;

namespace Hrm.Tests.Server;

/// <summary>
/// `hrm serve`'s HTTP API on a real loopback server: every status code it promises, the answers against the solver's
/// own, 32 concurrent requests against sequential ones, streaming, and draining on stop.
/// </summary>
public sealed class ServerApiTests : IAsyncLifetime
{
    TestServer s = null!;

    public async Task InitializeAsync() => s = await TestServer.Start(new ServeOptions { MaxBody = 4096 });
    public async Task DisposeAsync() => await s.DisposeAsync();

    static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Post(HttpClient http, string path, string body)
    {
        var res = await http.PostAsync(path, Json(body));
        var text = await res.Content.ReadAsStringAsync();
        return (res.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), res);
    }

    /// <summary>4x4 Sudoku puzzles with a few givens, different for each i.</summary>
    static string Puzzle(int i)
    {
        var cells = "1234341221434321".ToCharArray();
        var rng = new Random(i);
        for (int k = 0; k < cells.Length; k++) if (rng.NextDouble() < 0.7) cells[k] = '.';
        return new string(cells);
    }

    [Fact]
    public async Task Model_health_and_openapi_describe_the_server()
    {
        var model = JsonDocument.Parse(await s.Http.GetStringAsync("/v1/model")).RootElement;
        Assert.Equal("sudoku", model.GetProperty("task").GetString());
        Assert.Equal("hrm", model.GetProperty("architecture").GetString());
        Assert.Equal(16, model.GetProperty("config").GetProperty("seq_len").GetInt32());
        Assert.Equal(s.Solver.Model.parameters().Sum(p => p.numel()), model.GetProperty("parameters").GetInt64());
        Assert.Equal(s.Checkpoint, model.GetProperty("checkpoint").GetString());

        var health = JsonDocument.Parse(await s.Http.GetStringAsync("/healthz")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());

        var openapi = JsonDocument.Parse(await s.Http.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = openapi.GetProperty("paths");
        foreach (var p in new[] { "/v1/solve", "/v1/solve/stream", "/v1/model", "/healthz" }) Assert.True(paths.TryGetProperty(p, out _), $"OpenAPI lacks {p}");
        Assert.True(paths.GetProperty("/v1/solve").GetProperty("post").GetProperty("responses").TryGetProperty("422", out _));

        var page = await s.Http.GetStringAsync("/");
        Assert.Contains("HrmViz", page);
        Assert.Contains("/v1/solve/stream", page);
    }

    [Fact]
    public async Task Solve_answers_as_hrm_solve_json_and_traces_when_asked()
    {
        var puzzle = Puzzle(1);
        var expected = s.Solver.Solve(puzzle);
        var (status, body, _) = await Post(s.Http, "/v1/solve", JsonSerializer.Serialize(new { puzzle }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected.Text, body.GetProperty("answer").GetString());
        Assert.Equal(expected.Valid, body.GetProperty("valid").GetBoolean());
        Assert.Equal(TestServer.Segments, body.GetProperty("segments").GetInt32());
        Assert.Equal(expected.QHalt, body.GetProperty("q_halt").EnumerateArray().Select(x => x.GetSingle()).ToArray());
        Assert.Equal(TestServer.Segments, body.GetProperty("q_continue").GetArrayLength());
        Assert.Equal(4, body.GetProperty("cells").GetArrayLength());
        Assert.Equal("sudoku", body.GetProperty("task").GetString());
        Assert.False(body.TryGetProperty("trace", out _));

        (status, body, _) = await Post(s.Http, "/v1/solve", JsonSerializer.Serialize(new { puzzle, task = "sudoku", halt = "full", max_steps = 2, trace = true }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body.GetProperty("segments").GetInt32());
        var entries = body.GetProperty("trace").GetProperty("entries");
        Assert.Equal(2, entries.GetArrayLength());
        Assert.Equal(s.Solver.With(new SolverOptions { MaxSegments = 2 }).Solve(puzzle).Text, body.GetProperty("answer").GetString());
        Assert.Equal(body.GetProperty("answer").GetString()!.Replace("\n", ""), entries[1].GetProperty("answer").GetString()!.Replace("\n", ""));
    }

    [Theory]
    [InlineData("{", "invalid JSON")]
    [InlineData("[1, 2]", "JSON object")]
    [InlineData("{}", "missing \"puzzle\"")]
    [InlineData("{\"puzzle\": 12}", "must be a string")]
    [InlineData("{\"puzzle\": \"   \"}", "empty")]
    [InlineData("{\"puzzle\": \"1..4\"}", "malformed puzzle")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4..x\"}", "malformed puzzle")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"task\": \"chess\"}", "unknown task")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"halt\": \"sometimes\"}", "unknown halt rule")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"max_steps\": 0}", "max_steps")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"max_steps\": 100000}", "max_steps")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"trace\": \"yes\"}", "true or false")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"halt\": \"confident\", \"threshold\": 2}", "threshold")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"puzzle_id\": 5}", "puzzle_id")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"samples\": 0}", "\"samples\" must be an integer from 1 to 64")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"samples\": 65}", "\"samples\" must be an integer from 1 to 64")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"samples\": \"4\"}", "\"samples\"")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"samples\": 4, \"select\": \"best\"}", "unknown selection rule")]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"samples\": 4, \"noise\": -1}", "\"noise\"")]
    public async Task Malformed_requests_get_400_with_one_line(string body, string says)
    {
        foreach (var path in new[] { "/v1/solve", "/v1/solve/stream" })
        {
            var (status, json, _) = await Post(s.Http, path, body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            var error = json.GetProperty("error").GetString()!;
            Assert.Contains(says, error);
            Assert.DoesNotContain('\n', error);
            Assert.Equal(400, json.GetProperty("status").GetInt32());
        }
        Assert.Equal("ok", JsonDocument.Parse(await s.Http.GetStringAsync("/healthz")).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Samples_run_a_search_that_equals_the_solvers_and_trace_the_chosen_trajectory()
    {
        var puzzle = Puzzle(3);
        var search = new SearchOptions { Samples = 4, Seed = 2, Select = SelectRule.Vote };
        var expected = s.Solver.With(new SolverOptions { Search = search }).Solve(puzzle);
        var (status, body, _) = await Post(s.Http, "/v1/solve", JsonSerializer.Serialize(new { puzzle, samples = 4, sample_seed = 2, select = "vote", trace = true }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected.Text, body.GetProperty("answer").GetString());
        var found = body.GetProperty("search");
        Assert.Equal(4, found.GetProperty("candidates").GetArrayLength());
        Assert.Equal(expected.Search!.Chosen, found.GetProperty("chosen").GetInt32());
        Assert.Equal("vote", found.GetProperty("select").GetString());
        var entries = body.GetProperty("trace").GetProperty("entries");
        Assert.Equal(TestServer.Segments, entries.GetArrayLength());
        Assert.Equal(body.GetProperty("answer").GetString()!.Replace("\n", ""), entries[entries.GetArrayLength() - 1].GetProperty("answer").GetString()!.Replace("\n", ""));
        // One sample and no rule is the plain run, with no search block.
        (status, body, _) = await Post(s.Http, "/v1/solve", JsonSerializer.Serialize(new { puzzle, samples = 1 }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("search", out _));
        Assert.Equal(s.Solver.Solve(puzzle).Text, body.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task Empty_body_is_400()
    {
        var res = await s.Http.PostAsync("/v1/solve", new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
    }

    [Theory]
    [InlineData("{\"puzzle\": \"1..4..2..3..4...\", \"task\": \"maze\"}", "not maze")]
    [InlineData("{\"puzzle\": \"#####\\n#S G#\\n#####\", \"task\": \"arc\"}", "not arc")]
    [InlineData("{\"puzzle\": \"53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79\"}", "not a 9x9 Sudoku")]
    public async Task A_puzzle_of_another_task_is_422(string body, string says)
    {
        var (status, json, _) = await Post(s.Http, "/v1/solve", body);
        Assert.Equal((HttpStatusCode)422, status);
        Assert.Contains(says, json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_with_or_without_a_length()
    {
        var big = JsonSerializer.Serialize(new { puzzle = new string('.', 16) + new string(' ', 5000) });
        var (status, json, _) = await Post(s.Http, "/v1/solve", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("limit of 4096 bytes", json.GetProperty("error").GetString());

        // Chunked: no Content-Length, so Kestrel's limit stops the read.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var req = new HttpRequestMessage(HttpMethod.Post, "/v1/solve") { Content = chunked };
        req.Headers.TransferEncodingChunked = true;
        var res = await s.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, res.StatusCode);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/v1/../../../etc/passwd")]
    [InlineData("/v1/solve/..%2F..%2Fconfig.json")]
    [InlineData("/model.safetensors")]
    public async Task No_path_reads_a_file(string path)
    {
        var res = await s.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
    }

    [Fact]
    public async Task A_full_queue_is_503_with_retry_after_and_stopping_drains_requests_in_flight()
    {
        await using var small = await TestServer.Start(new ServeOptions { Batch = new BatchOptions { MaxBatch = 1, MaxQueue = 1, Window = TimeSpan.Zero } });
        var puzzle = Puzzle(2);
        var input = small.Solver.Task.Parse(puzzle);
        // Hold the solver's thread inside a batch (its trace callback blocks) so that requests wait in the queue.
        using var gate = new ManualResetEventSlim(false);
        using var entered = new ManualResetEventSlim(false);
        var blocker = small.Server.Batcher.Submit(new BatchJob(input, 0, HaltPolicy.Full, 1, _ => { entered.Set(); gate.Wait(); }));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));

        var waiting = Post(small.Http, "/v1/solve", JsonSerializer.Serialize(new { puzzle }));
        for (int i = 0; i < 200 && small.Server.Batcher.Waiting < 1; i++) await Task.Delay(10);
        Assert.Equal(1, small.Server.Batcher.Waiting);
        var (status, json, res) = await Post(small.Http, "/v1/solve", JsonSerializer.Serialize(new { puzzle }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(TimeSpan.FromSeconds(1), res.Headers.RetryAfter?.Delta);
        Assert.Contains("queue is full", json.GetProperty("error").GetString());

        // Stop while one request is in flight and one waits: both finish before the server goes.
        var stopping = small.Server.StopAsync();
        await Task.Delay(100);
        Assert.False(stopping.IsCompleted);
        gate.Set();
        await blocker;
        var (okStatus, okBody, _) = await waiting;
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Equal(small.Solver.Solve(puzzle).Text, okBody.GetProperty("answer").GetString());
        await stopping;
    }

    [Fact]
    public async Task Thirty_two_concurrent_requests_answer_as_sequential_ones_in_shared_batches()
    {
        var puzzles = Enumerable.Range(0, 32).Select(Puzzle).ToArray();
        var bodies = puzzles.Select((p, i) => JsonSerializer.Serialize(new { puzzle = p, halt = i % 2 == 0 ? "full" : "q" })).ToArray();
        var sequential = new List<JsonElement>();
        foreach (var b in bodies) sequential.Add((await Post(s.Http, "/v1/solve", b)).Body);
        var before = s.Server.Batcher.Counts;
        var concurrent = await Task.WhenAll(bodies.Select(b => Post(s.Http, "/v1/solve", b)));
        var after = s.Server.Batcher.Counts;
        for (int i = 0; i < 32; i++)
        {
            Assert.Equal(HttpStatusCode.OK, concurrent[i].Status);
            Assert.Equal(sequential[i].GetProperty("answer").GetString(), concurrent[i].Body.GetProperty("answer").GetString());
            Assert.Equal(sequential[i].GetProperty("segments").GetInt32(), concurrent[i].Body.GetProperty("segments").GetInt32());
            var q1 = sequential[i].GetProperty("q_halt").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            var q2 = concurrent[i].Body.GetProperty("q_halt").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.Equal(q1.Length, q2.Length);
            for (int k = 0; k < q1.Length; k++) Assert.True(Math.Abs(q1[k] - q2[k]) < 1e-4, $"puzzle {i} q_halt[{k}]: {q1[k]} vs {q2[k]}");
        }
        Assert.Equal(32, after.Rows - before.Rows);
        // Two halting rules: at least two batches, and far fewer than 32.
        Assert.InRange(after.Batches - before.Batches, 2, 16);
    }

    [Fact]
    public async Task The_stream_sends_start_one_entry_per_segment_and_the_result()
    {
        var puzzle = Puzzle(3);
        var res = await s.Http.PostAsync("/v1/solve/stream", Json(JsonSerializer.Serialize(new { puzzle })));
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("text/event-stream", res.Content.Headers.ContentType?.MediaType);
        var events = (await res.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(b => (Name: b.Split('\n')[0]["event: ".Length..], Data: JsonDocument.Parse(b.Split('\n')[1]["data: ".Length..]).RootElement)).ToList();
        Assert.Equal(["start", "entry", "entry", "entry", "entry", "result"], events.Select(e => e.Name));
        Assert.Equal(puzzle.Replace('.', '.'), events[0].Data.GetProperty("puzzle").GetProperty("input").GetString()!.Replace("\n", ""));
        Assert.Equal(TestServer.Segments, events[0].Data.GetProperty("total_segments").GetInt32());
        Assert.Equal([1, 2, 3, 4], events.Where(e => e.Name == "entry").Select(e => e.Data.GetProperty("segment").GetInt32()));
        var answer = s.Solver.Solve(puzzle).Text;
        Assert.Equal(answer, events[^1].Data.GetProperty("answer").GetString());
        Assert.Equal(answer.Replace("\n", ""), events[^2].Data.GetProperty("answer").GetString()!.Replace("\n", ""));
    }
}
