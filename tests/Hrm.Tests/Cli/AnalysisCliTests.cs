using System.Globalization;
using System.Text.Json;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Analysis;
using Hrm.Tracing;
using Hrm.Interop;
using static TorchSharp.torch;

namespace Hrm.Tests.Cli;

/// <summary>
/// Traces, the new eval figures and every `hrm analyze` command on the tiny trained run: each CSV's numbers are
/// checked against a direct computation, each PNG decodes with the expected size.
/// </summary>
public sealed class AnalysisCliTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    static JsonElement Eval(TinyRunFixture run, string name, params string[] extra)
    {
        var json = run.File(name);
        CliHarness.Ok(["eval", "--checkpoint", run.Run, "--data", run.Data, "--json", json, "--threads", "1", .. extra]);
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("all");
    }

    static void AssertPng(string path, int width = 900, int height = 540)
    {
        using var bitmap = SkiaSharp.SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
    }

    [FigureFact]
    public void Trace_has_an_entry_per_segment_and_step_and_ends_on_the_eval_answer()
    {
        var json = run.File("trace.json");
        CliHarness.Ok("trace", "--checkpoint", run.Run, "--data", run.Data, "--index", "0", "--json", json, "--threads", "1");
        var trace = Trace.Load(json);
        using var model = ModelStore.Load(run.Run);
        int m = model.Config.HaltMaxSteps;
        Assert.Equal(Enumerable.Range(1, m), trace.Entries.Select(e => e.Segment));
        Assert.All(trace.Entries, e => Assert.Null(e.Step));

        CliHarness.Ok("trace", "--checkpoint", run.Run, "--data", run.Data, "--index", "0", "--per-step", "--json", json, "--threads", "1");
        var steps = Trace.Load(json);
        int lowSteps = model.Config.HCycles * model.Config.LCycles;
        Assert.Equal(m * (lowSteps + 1), steps.Entries.Count);
        // Per segment: its low-level steps 1..H*L in order, then the segment's own entry.
        var expectedOrder = Enumerable.Range(1, m).SelectMany(s => Enumerable.Range(1, lowSteps).Select(k => (s, (int?)k)).Append((s, null)));
        Assert.Equal(expectedOrder, steps.Entries.Select(e => (e.Segment, e.Step)));
        Assert.Equal(trace.Entries[^1].Answer, steps.Entries[^1].Answer);

        // The last answer is the evaluation's prediction for that example.
        var set = PuzzleSet.ReadAll(run.Data, "test")[0];
        int[]? prediction = null;
        Evaluator.Evaluate(model, set, new EvalOptions { MaxExamples = 1 }, ex => prediction = ex.Result.Prediction);
        var task = Solver.TaskOf(model.Config)!;
        Assert.Equal(task.Decode(set.Data.Inputs.AsSpan(0, set.Data.SeqLen), prediction).Text, trace.Entries[^1].Answer);
        Assert.NotNull(trace.Puzzle.Expected);
    }

    [FigureFact]
    public void Eval_reports_accuracy_by_segment_the_histogram_and_valid_accuracy()
    {
        var all = Eval(run, "eval-new.json", "--max-steps", "3");
        var bySegment = all.GetProperty("exact_by_segment").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(3, bySegment.Length);
        Assert.Equal(all.GetProperty("exact_accuracy").GetDouble(), bySegment[^1], 12);
        Assert.Equal(all.GetProperty("count").GetInt32(), all.GetProperty("segment_histogram").EnumerateArray().Sum(e => e.GetInt32()));
        Assert.InRange(all.GetProperty("valid_accuracy").GetDouble(), all.GetProperty("exact_accuracy").GetDouble(), 1.0);
        // The accuracy after segment k of a 3-segment run is the accuracy of a k-segment run.
        var one = Eval(run, "eval-1.json", "--max-steps", "1");
        Assert.Equal(one.GetProperty("exact_accuracy").GetDouble(), bySegment[0], 12);

        // Accuracy by difficulty (blank cells for Sudoku): the rows cover every puzzle once and add up to the totals.
        var by = all.GetProperty("by_difficulty");
        Assert.Equal("blanks", by.GetProperty("measure").GetString());
        var rows = by.GetProperty("rows").EnumerateArray().ToArray();
        int count = all.GetProperty("count").GetInt32();
        Assert.Equal(count, rows.Sum(r => r.GetProperty("count").GetInt32()));
        Assert.Equal(all.GetProperty("exact_accuracy").GetDouble(),
            rows.Sum(r => r.GetProperty("exact_accuracy").GetDouble() * r.GetProperty("count").GetInt32()) / count, 9);
        Assert.Equal(all.GetProperty("valid_accuracy").GetDouble(),
            rows.Sum(r => r.GetProperty("valid_accuracy").GetDouble() * r.GetProperty("count").GetInt32()) / count, 9);
        // The values are each test puzzle's blank count (token 1), counted here independently.
        var test = PuzzleSet.ReadAll(run.Data, "test")[0].Data;
        var blanks = Enumerable.Range(0, test.ExampleCount)
            .Select(i => test.Inputs.AsSpan(i * test.SeqLen, test.SeqLen).ToArray().Count(t => t == 1))
            .GroupBy(b => b).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(blanks.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)),
            rows.Select(r => (r.GetProperty("value").GetInt32(), r.GetProperty("count").GetInt32())));

        var tta = Eval(run, "eval-tta.json", "--tta", "4");
        Assert.Equal(4, tta.GetProperty("tta").GetProperty("views").GetInt32());
        Assert.InRange(tta.GetProperty("tta").GetProperty("exact_accuracy").GetDouble(), 0, 1);
    }

    [FigureFact]
    public void Eval_max_examples_scores_the_first_rows_only()
    {
        var full = Eval(run, "eval-all-rows.json", "--max-steps", "2");
        int total = full.GetProperty("count").GetInt32();
        Assert.True(total > 3, $"the tiny run's test split has {total} rows");
        var three = Eval(run, "eval-3.json", "--max-steps", "2", "--max-examples", "3");
        Assert.Equal(3, three.GetProperty("count").GetInt32());
        Assert.Equal(3, three.GetProperty("segment_histogram").EnumerateArray().Sum(e => e.GetInt32()));
        // The same three rows a direct evaluation of the first three scores.
        using (var model = ModelStore.Load(run.Run))
        {
            var set = PuzzleSet.ReadAll(run.Data, "test")[0];
            var direct = Evaluator.Evaluate(model, set, new EvalOptions { MaxExamples = 3, MaxSegments = 2 });
            Assert.Equal(direct.ExactAccuracy, three.GetProperty("exact_accuracy").GetDouble(), 12);
            Assert.Equal(direct.TokenAccuracy, three.GetProperty("token_accuracy").GetDouble(), 12);
        }
        // More than the split holds is the whole split.
        var all = Eval(run, "eval-many.json", "--max-steps", "2", "--max-examples", "100000");
        Assert.Equal(total, all.GetProperty("count").GetInt32());
    }

    [FigureFact]
    public void Scaling_and_act_match_evaluations_at_each_budget()
    {
        var dir = run.File("scaling");
        CliHarness.Ok("analyze", "scaling", "--checkpoint", run.Run, "--data", run.Data, "--out", dir, "--max-steps", "3", "--threads", "1");
        var csv = CsvTable.Read(Path.Combine(dir, "scaling.csv"));
        Assert.Equal([1.0, 2, 3], csv.Doubles("budget"));
        for (int b = 1; b <= 3; b += 2)
        {
            var all = Eval(run, $"eval-b{b}.json", "--max-steps", b.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(all.GetProperty("exact_accuracy").GetDouble(), csv.Doubles("exact_accuracy")[b - 1], 12);
            Assert.Equal(all.GetProperty("valid_accuracy").GetDouble(), csv.Doubles("valid_accuracy")[b - 1], 12);
            var act = Eval(run, $"eval-q{b}.json", "--max-steps", b.ToString(CultureInfo.InvariantCulture), "--halt-rule", "q");
            Assert.Equal(act.GetProperty("exact_accuracy").GetDouble(), csv.Doubles("act_exact_accuracy")[b - 1], 12);
            Assert.Equal(act.GetProperty("mean_segments").GetDouble(), csv.Doubles("act_mean_segments")[b - 1], 9);
        }
        AssertPng(Path.Combine(dir, "scaling.png"));

        var actDir = run.File("act");
        CliHarness.Ok("analyze", "act", "--checkpoint", run.Run, "--data", run.Data, "--out", actDir, "--threads", "1");
        var act2 = CsvTable.Read(Path.Combine(actDir, "act.csv"));
        Assert.Equal(csv.Doubles("exact_accuracy").Take(2), act2.Doubles("fixed_exact_accuracy"));
        AssertPng(Path.Combine(actDir, "act.png"));
    }

    [FigureFact]
    public void Residuals_are_the_mean_of_the_traces()
    {
        var dir = run.File("residuals");
        CliHarness.Ok("analyze", "residuals", "--checkpoint", run.Run, "--data", run.Data, "--out", dir, "--count", "2", "--threads", "1");
        var csv = CsvTable.Read(Path.Combine(dir, "residuals.csv"));
        var traces = Enumerable.Range(0, 2).Select(i =>
        {
            var json = run.File($"res-trace-{i}.json");
            CliHarness.Ok("trace", "--checkpoint", run.Run, "--data", run.Data, "--index", i.ToString(CultureInfo.InvariantCulture), "--per-step", "--json", json, "--threads", "1");
            return Trace.Load(json).Entries.Where(e => e.Step is not null).ToList();
        }).ToList();
        Assert.Equal(traces[0].Count, csv.Rows.Count);
        var zl = csv.Doubles("residual_zL");
        for (int k = 0; k < zl.Length; k++)
            Assert.Equal((traces[0][k].ResidualZL + traces[1][k].ResidualZL) / 2, zl[k], 9);
        AssertPng(Path.Combine(dir, "residuals.png"));
    }

    [FigureFact]
    public void Participation_ratio_at_all_puzzles_equals_the_direct_computation()
    {
        var dir = run.File("pr");
        CliHarness.Ok("analyze", "pr", "--checkpoint", run.Run, "--data", run.Data, "--out", dir, "--count", "10", "--repeats", "1", "--threads", "1");
        var csv = CsvTable.Read(Path.Combine(dir, "pr.csv"));
        Assert.Equal(["trained", "untrained"], csv.Strings("model").Distinct().Order());
        Assert.Equal(["zH", "zL"], csv.Strings("module").Distinct().Order());

        // Directly: every row's zH after every segment, all token positions, for the first 10 test puzzles.
        using var model = ModelStore.Load(run.Run);
        using var scope = NewDisposeScope();
        var set = PuzzleSet.ReadAll(run.Data, "test")[0];
        int s = set.Data.SeqLen;
        var inputs = tensor(set.Data.Inputs.AsSpan(0, 10 * s).ToArray().Select(t => (long)t).ToArray(), [10, s]);
        var states = new List<Tensor>();
        Inference.Run(model, inputs, zeros(10, int64), HaltPolicy.Full, observer: new Collect(states));
        double direct = ParticipationRatio.Of(cat(states.ToArray(), 0));
        int row = Enumerable.Range(0, csv.Rows.Count).Single(i => csv.Strings("model")[i] == "trained" && csv.Strings("module")[i] == "zH" && csv.Doubles("puzzles")[i] == 10);
        Assert.Equal(direct, csv.Doubles("pr")[row], 6);
        AssertPng(Path.Combine(dir, "pr.png"));
    }

    sealed class Collect(List<Tensor> states) : IInferenceObserver
    {
        public void OnSegment(SegmentReport r) =>
            states.Add(r.Output.Carry.ZH.to(float64).reshape(-1, r.Output.Carry.ZH.shape[^1]).clone().DetachFromDisposeScope());
    }

    [FigureFact]
    public void Steps_evaluates_every_checkpoint_and_puzzle_id_needs_an_embedding()
    {
        var dir = run.File("steps");
        CliHarness.Ok("analyze", "steps", "--run", run.Run, "--data", run.Data, "--out", dir, "--threads", "1");
        var csv = CsvTable.Read(Path.Combine(dir, "steps.csv"));
        Assert.Equal([15.0, 15, 30, 30], csv.Doubles("checkpoint_step"));
        var last = Eval(run, "eval-steps.json");
        Assert.Equal(last.GetProperty("exact_accuracy").GetDouble(), csv.Doubles("exact_accuracy")[^1], 12);
        AssertPng(Path.Combine(dir, "steps.png"));
        CliHarness.Fails("no puzzle embedding", "analyze", "puzzle-id", "--checkpoint", run.Run, "--data", run.Data, "--out", run.File("pid"));
    }
}
