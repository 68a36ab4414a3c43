using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hrm.Evaluation;
using Hrm.Tasks;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tests.Cli;

namespace Hrm.Tests.Server;

/// <summary>The served API for maze, ARC and registered tasks' models, and the `hrm serve` command's own checks.</summary>
public sealed class ServerTaskTests
{
    static async Task<(HttpStatusCode, JsonElement)> Post(HttpClient http, string body)
    {
        var res = await http.PostAsync("/v1/solve", new StringContent(body, Encoding.UTF8, "application/json"));
        return (res.StatusCode, JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task A_maze_model_solves_maze_text_and_refuses_a_sudoku()
    {
        await using var s = await TestServer.Start(seqLen: 49, vocab: MazeEncoding.VocabSize, task: "maze");
        var maze = new MazeGenerator(new MazeGeneratorOptions(7)).Next(new Random(5));
        var text = MazeEncoding.ToText(maze.Input, 7);
        var (status, body) = await Post(s.Http, JsonSerializer.Serialize(new { puzzle = text, halt = "stable" }));
        Assert.Equal(HttpStatusCode.OK, status);
        var want = s.Solver.With(new SolverOptions { Halt = new HaltPolicy(HaltRule.Stable) }).Solve(text);
        Assert.Equal(want.Text, body.GetProperty("answer").GetString());
        Assert.Equal(want.Segments, body.GetProperty("segments").GetInt32());
        (status, body) = await Post(s.Http, "{\"puzzle\": \"1..4..2..3..4...\", \"task\": \"sudoku\"}");
        Assert.Equal((HttpStatusCode)422, status);
        (status, body) = await Post(s.Http, "{\"puzzle\": \"#####\\n#S G#\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task An_arc_model_takes_a_task_json_and_compares_with_its_output()
    {
        await using var s = await TestServer.Start(seqLen: ArcCanvas.SeqLen, vocab: ArcCanvas.VocabSize, task: "arc");
        var task = new
        {
            train = new[] { new { input = new[] { new[] { 1, 0 }, new[] { 0, 1 } }, output = new[] { new[] { 2, 0 }, new[] { 0, 2 } } } },
            test = new[] { new { input = new[] { new[] { 3, 3, 0 } }, output = new[] { new[] { 4, 4, 0 } } } },
        };
        // As an object and as a string holding the same JSON.
        foreach (var puzzle in new object[] { task, JsonSerializer.Serialize(task) })
        {
            var (status, body) = await Post(s.Http, JsonSerializer.Serialize(new { puzzle, max_steps = 1, trace = true }));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("440", body.GetProperty("expected").GetString());
            Assert.Equal(body.GetProperty("answer").GetString() == "440", body.GetProperty("valid").GetBoolean());
            Assert.Equal("330", body.GetProperty("trace").GetProperty("puzzle").GetProperty("input").GetString());
            Assert.Equal("440", body.GetProperty("trace").GetProperty("puzzle").GetProperty("expected").GetString());
        }
        var (st, err) = await Post(s.Http, JsonSerializer.Serialize(new { puzzle = task, test_index = 3 }));
        Assert.Equal(HttpStatusCode.BadRequest, st);
        Assert.Contains("test_index", err.GetProperty("error").GetString());
        (st, err) = await Post(s.Http, JsonSerializer.Serialize(new { puzzle = "{\"train\": [], \"test\": [" }));
        Assert.Equal(HttpStatusCode.BadRequest, st);
        Assert.Contains("invalid JSON", err.GetProperty("error").GetString());
        (st, err) = await Post(s.Http, JsonSerializer.Serialize(new { puzzle = "12\n3a" }));
        Assert.Equal(HttpStatusCode.BadRequest, st);
        Assert.Contains("not a colour digit", err.GetProperty("error").GetString());
    }

    [Fact]
    public void The_serve_command_reports_bad_options_and_a_busy_port_in_one_line()
    {
        using var temp = new TempDirectory();
        var model = TestServer.SaveModel(temp, 16, 6, "sudoku");
        var r = CliHarness.Run("serve", "--checkpoint", model, "--host", "example.com");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("error: host must be an IP address or localhost, got 'example.com'", r.Error.Trim());
        r = CliHarness.Run("serve", "--checkpoint", model, "--max-batch", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("max batch must be >= 1", r.Error);

        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;
        r = CliHarness.Run("serve", "--checkpoint", model, "--port", port.ToString());
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.Error.Trim().Split('\n'));
        Assert.Contains("address already in use", r.Error);
    }

    /// <summary>A task the server knows nothing of, registered like a library user's own: a row of 4 bits whose answer
    /// flips every bit (tokens 1 = '0', 2 = '1'), with its own generated examples.</summary>
    sealed class BitsTask : PuzzleTask
    {
        public const string TaskName = "served-bits";
        public override string Name => TaskName;
        public override int SeqLen => 4;
        public override int VocabSize => 3;
        public override string Describe() => "a row of 4 bits to flip";
        public override string RuleText => "every bit flipped";
        public override IReadOnlyList<(int Rows, int Cols)> GridSizes => [(1, 4)];
        public override int[] Parse(string text)
        {
            var t = text.Trim();
            if (t.Length != 4 || t.Any(c => c is not ('0' or '1'))) throw new HrmException($"bits: expected 4 bits, got '{t}'");
            return t.Select(c => c == '0' ? 1 : 2).ToArray();
        }
        public override string FormatInput(ReadOnlySpan<int> input) => new(input.ToArray().Select(Char).ToArray());
        static char Char(int t) => t switch { 1 => '0', 2 => '1', _ => '?' };
        public override DecodedGrid Decode(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction) =>
            new(new string(prediction.ToArray().Select(Char).ToArray()), prediction.ToArray().Select(t => t - 1).ToArray(), 1, 4);
        public override string? Check(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction)
        {
            for (int i = 0; i < 4; i++) if (prediction[i] != 3 - input[i]) return $"bit {i + 1} is not flipped";
            return null;
        }
        public override IReadOnlyList<ITokenView> Views(int[] input, int k, int seed) => [IdentityView.Instance];
        public override TaskExample Example(int seed)
        {
            var rng = new Random(seed);
            var input = Enumerable.Range(0, 4).Select(_ => rng.Next(1, 3)).ToArray();
            return new TaskExample(FormatInput(input), FormatInput(input.Select(t => 3 - t).ToArray()), $"bits (seed {seed})");
        }
    }

    [Fact]
    public async Task A_registered_task_is_served_with_an_expected_answer_and_its_own_example()
    {
        TaskRegistry.Unregister(BitsTask.TaskName);
        TaskRegistry.Register(new TaskKind(BitsTask.TaskName, s => s == 4 ? new BitsTask() : throw new HrmException($"bits: seq_len {s} is not 4"),
            (s, v) => false, "seq 4, vocab 3", "01", CellStyle.Digits));
        try
        {
            await using var s = await TestServer.Start(seqLen: 4, vocab: 3, task: BitsTask.TaskName);
            var (status, body) = await Post(s.Http, JsonSerializer.Serialize(new { puzzle = "0110", expected = "1001", trace = true }));
            Assert.Equal(HttpStatusCode.OK, status);
            var want = s.Solver.Solve("0110");
            Assert.Equal(want.Text, body.GetProperty("answer").GetString());
            Assert.Equal("1001", body.GetProperty("expected").GetString());
            Assert.Equal(want.Text == "1001", body.GetProperty("correct").GetBoolean());
            Assert.Equal(want.Valid, body.GetProperty("valid").GetBoolean());   // the task's rule decides "valid"
            Assert.Equal("1001", body.GetProperty("trace").GetProperty("puzzle").GetProperty("expected").GetString());

            (status, body) = await Post(s.Http, JsonSerializer.Serialize(new { puzzle = "0110", expected = "10" }));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("malformed \"expected\": the answer is 1 lines of 4 characters", body.GetProperty("error").GetString());

            var model = JsonDocument.Parse(await s.Http.GetStringAsync("/v1/model")).RootElement;
            Assert.Equal(BitsTask.TaskName, model.GetProperty("task").GetString());
            Assert.Equal("generated", model.GetProperty("examples").GetString());
            Assert.Equal(4, model.GetProperty("grid").GetProperty("cols").GetInt32());

            var example = JsonDocument.Parse(await s.Http.GetStringAsync("/v1/example?index=3")).RootElement;
            var own = new BitsTask().Example(3);
            Assert.Equal(own.Puzzle, example.GetProperty("puzzle").GetString());
            Assert.Equal(own.Expected, example.GetProperty("expected").GetString());
            Assert.Equal("bits (seed 3)", example.GetProperty("source").GetString());
        }
        finally { TaskRegistry.Unregister(BitsTask.TaskName); }
    }
}
