using Hrm.Data;
using Hrm.Tasks;
using Hrm.Tests.Cli;

namespace Hrm.Tests.Tasks;

/// <summary>
/// A task registered in one place (<see cref="TaskRegistry.Register"/>) is seen everywhere a task is used: the dataset
/// reader and `hrm data check`, training, `hrm eval`, `hrm solve`, `hrm trace` and `hrm viz`. The test task is "flip":
/// a row of 4 bits whose answer is every bit flipped (tokens 1 = '0', 2 = '1'; 0 = pad).
/// </summary>
public sealed class TaskRegistryTests : IDisposable
{
    const int Cells = 4, Vocab = 3;

    sealed class FlipTask : PuzzleTask
    {
        public override string Name => "flip";
        public override int SeqLen => Cells;
        public override int VocabSize => Vocab;
        public override string Describe() => "a row of 4 bits to flip";
        public override string RuleText => "every bit flipped";
        public override int[] Parse(string text)
        {
            var t = text.Trim();
            if (t.Length != Cells || t.Any(c => c is not ('0' or '1'))) throw new HrmException($"flip: expected {Cells} bits, got '{t}'");
            return t.Select(c => c == '0' ? 1 : 2).ToArray();
        }
        public override string FormatInput(ReadOnlySpan<int> input) => new(input.ToArray().Select(Char).ToArray());
        static char Char(int t) => t switch { 1 => '0', 2 => '1', _ => '?' };
        public override DecodedGrid Decode(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction)
        {
            var cells = prediction.ToArray().Select(t => t - 1).ToArray();
            return new DecodedGrid(new string(prediction.ToArray().Select(Char).ToArray()), cells, 1, Cells);
        }
        public override string? Check(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction)
        {
            for (int i = 0; i < Cells; i++) if (prediction[i] != 3 - input[i]) return $"bit {i + 1} is not flipped";
            return null;
        }
        public override IReadOnlyList<ITokenView> Views(int[] input, int k, int seed) => [IdentityView.Instance];
    }

    sealed class FlipCheck : IDatasetCheck
    {
        public string Name => "flip";
        public bool AppliesTo(DatasetMetadata metadata) => metadata.Task == "flip";
        public IEnumerable<DatasetProblem> Check(PuzzleSet set, int maxRowsPerRule) => [];
    }

    readonly TempDirectory tmp = new();

    public TaskRegistryTests()
    {
        TaskRegistry.Unregister("flip");
        TaskRegistry.Register(new TaskKind("flip",
            s => s == Cells ? new FlipTask() : throw new HrmException($"task flip: seq_len {s} is not {Cells}"),
            (s, v) => false, "seq 4, vocab 3", "01", CellStyle.Digits, new FlipCheck()));
    }

    public void Dispose()
    {
        TaskRegistry.Unregister("flip");
        tmp.Dispose();
    }

    string WriteDataset()
    {
        var rng = new Random(3);
        PuzzleSplit Split(int n)
        {
            var b = new PuzzleSplitBuilder(Cells);
            for (int i = 0; i < n; i++)
            {
                var input = Enumerable.Range(0, Cells).Select(_ => rng.Next(1, 3)).ToArray();
                b.BeginGroup();
                b.AddPuzzle(0, [(input, input.Select(t => 3 - t).ToArray())]);
            }
            return b.Build();
        }
        var dir = Path.Combine(tmp.Path, "flip");
        PuzzleDatasetDirectory.Write(dir, Split(64), Split(16), ["<blank>"], Vocab, ignoreLabelId: 0, task: "flip");
        return dir;
    }

    [Fact]
    public void A_registered_task_is_seen_by_data_check_train_eval_solve_trace_and_viz()
    {
        Assert.Contains("flip", TaskRegistry.Names);
        var data = WriteDataset();
        var check = CliHarness.Ok("data", "check", data);
        Assert.Contains("task checks: flip", check.Out);

        var run = Path.Combine(tmp.Path, "run");
        CliHarness.Ok("train", "--preset", "tiny-test", "--data", data, "--out", run, "--set", "max_steps=4", "--set", "eval_every_steps=100",
            "--set", "global_batch_size=16");

        var json = Path.Combine(tmp.Path, "eval.json");
        CliHarness.Ok("eval", "--checkpoint", run, "--data", data, "--json", json);
        Assert.Contains("exact", File.ReadAllText(json));

        var solve = CliHarness.Ok("solve", "--checkpoint", run, "0110");
        Assert.Contains("bits", solve.Out + solve.Error);   // the task describes itself ("a row of 4 bits to flip")

        var trace = Path.Combine(tmp.Path, "t.json");
        CliHarness.Ok("trace", "--checkpoint", run, "--data", data, "--index", "0", "--json", trace);
        Assert.Contains("\"task\": \"flip\"", File.ReadAllText(trace).Replace("\"task\":\"flip\"", "\"task\": \"flip\""));

        var page = Path.Combine(tmp.Path, "t.html");
        CliHarness.Ok("viz", "--trace", trace, "--out", page);
        Assert.True(new FileInfo(page).Length > 0);
    }

    [Fact]
    public void Unknown_and_duplicate_names_are_refused()
    {
        var e = Assert.Throws<HrmException>(() => TaskRegistry.FromName("chess", 16, 6));
        Assert.Contains("unknown task 'chess'", e.Message);
        Assert.Contains("flip", e.Message);
        Assert.Throws<HrmException>(() => TaskRegistry.Register(TaskRegistry.Find("maze")!));
        Assert.False(TaskRegistry.Unregister("sudoku"));
        Assert.Equal("maze", TaskRegistry.Infer(49, 6)!.Name);
        Assert.Equal("sudoku", TaskRegistry.Infer(16, 6)!.Name);
        Assert.Equal("arc", TaskRegistry.Infer(900, 12)!.Name);
        Assert.Null(TaskRegistry.Infer(5, 6));
    }
}
