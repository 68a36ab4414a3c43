using System.Text.Json;

namespace Hrm.Tests.Cli;

/// <summary>Test-time search from the command line: eval's per-rule report, the plain run unchanged, solve, trace,
/// analyze scaling with sample counts, and the refusals.</summary>
public sealed class SearchCliTests(TinyRunFixture run) : IClassFixture<TinyRunFixture>
{
    static JsonElement All(string json) => JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("all").Clone();

    [Fact]
    public void Eval_with_samples_reports_every_rule_the_oracle_and_the_chosen_rule_as_exact_accuracy()
    {
        var plain = run.File("plain.json");
        CliHarness.Ok("eval", "--checkpoint", run.Run, "--data", run.Data, "--json", plain, "--threads", "1");
        foreach (var rule in new[] { "halt", "vote", "check" })
        {
            var json = run.File($"search-{rule}.json");
            var r = CliHarness.Ok("eval", "--checkpoint", run.Run, "--data", run.Data, "--samples", "3", "--select", rule, "--noise", "0.8",
                "--json", json, "--threads", "1");
            Assert.Contains("exact by select", r.Out);
            var all = All(json);
            var by = all.GetProperty("exact_by_select");
            Assert.Equal(by.GetProperty(rule).GetDouble(), all.GetProperty("exact_accuracy").GetDouble());
            double any = all.GetProperty("exact_any").GetDouble();
            foreach (var k in new[] { "halt", "vote", "check" }) Assert.InRange(by.GetProperty(k).GetDouble(), 0.0, any);
            Assert.Equal(3.0, all.GetProperty("search").GetProperty("mean_candidates").GetDouble());
            // Trajectory 0 is the plain run.
            Assert.Equal(All(plain).GetProperty("exact_accuracy").GetDouble(), all.GetProperty("search").GetProperty("exact_plain").GetDouble());
        }
    }

    [Fact]
    public void One_sample_is_todays_eval_output()
    {
        var a = run.File("one-a.json");
        var b = run.File("one-b.json");
        CliHarness.Ok("eval", "--checkpoint", run.Run, "--data", run.Data, "--json", a, "--threads", "1");
        CliHarness.Ok("eval", "--checkpoint", run.Run, "--data", run.Data, "--json", b, "--threads", "1", "--samples", "1");
        var x = All(a);
        var y = All(b);
        foreach (var key in new[] { "exact_accuracy", "token_accuracy", "valid_accuracy", "q_halt_accuracy" })
            Assert.Equal(x.GetProperty(key).GetDouble(), y.GetProperty(key).GetDouble());
        Assert.Equal(x.GetProperty("exact_by_segment").GetRawText(), y.GetProperty("exact_by_segment").GetRawText());
        // An explicit --samples 1 reports the (one-candidate) search: every rule picks the plain answer.
        Assert.Equal(x.GetProperty("exact_accuracy").GetDouble(), y.GetProperty("exact_by_select").GetProperty("vote").GetDouble());
        Assert.False(x.TryGetProperty("exact_by_select", out _));
    }

    [Fact]
    public void Solve_and_trace_search_with_the_same_seed_give_the_same_choice()
    {
        const string puzzle = "1..4..2..3..4..1";
        var a = CliHarness.Ok("solve", "--checkpoint", run.Run, puzzle, "--samples", "4", "--sample-seed", "5", "--threads", "1");
        var b = CliHarness.Ok("solve", "--checkpoint", run.Run, puzzle, "--samples", "4", "--sample-seed", "5", "--threads", "1");
        Assert.Contains("search: 4 candidates", a.Out);
        Assert.Equal(a.Out, b.Out);
        var json = run.File("trace-search.json");
        CliHarness.Ok("trace", "--checkpoint", run.Run, puzzle, "--samples", "4", "--sample-seed", "5", "--json", json, "--threads", "1");
        var trace = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(4, trace.GetProperty("search").GetProperty("candidates").GetArrayLength());
        Assert.Contains("chosen by halt", trace.GetProperty("decoding").GetString());
    }

    [Fact]
    public void Analyze_scaling_puts_samples_beside_segments()
    {
        var dir = run.File("scaling-samples");
        CliHarness.Ok("analyze", "scaling", "--checkpoint", run.Run, "--data", run.Data, "--out", dir, "--count", "20", "--samples", "1,2,4", "--threads", "1");
        var lines = File.ReadAllLines(Path.Combine(dir, "scaling.csv"));
        Assert.StartsWith("axis,budget,samples,segments_per_puzzle,exact_halt", lines[0]);
        Assert.Equal(3, lines.Count(l => l.StartsWith("samples,")));
        Assert.Contains(lines, l => l.StartsWith("samples,2,4,8,"));   // 4 trajectories of the trained budget (2)
        Assert.True(new FileInfo(Path.Combine(dir, "scaling.png")).Length > 1000);
    }

    [Theory]
    [InlineData("--samples must be >= 1", "--samples", "0")]
    [InlineData("--noise must be a finite number >= 0", "--samples", "2", "--noise", "-1")]
    [InlineData("unknown selection rule 'best'", "--select", "best")]
    [InlineData("unknown perturbation 'all'", "--samples", "2", "--perturb", "all")]
    public void Bad_search_values_are_one_line_errors(string says, params string[] extra)
    {
        CliHarness.Fails(says, ["eval", "--checkpoint", run.Run, "--data", run.Data, .. extra]);
        CliHarness.Fails(says, ["solve", "--checkpoint", run.Run, "1..4..2..3..4..1", .. extra]);
    }

    [Fact]
    public void Analyze_scaling_refuses_a_bad_sample_list() =>
        CliHarness.Fails("comma-separated list", "analyze", "scaling", "--checkpoint", run.Run, "--data", run.Data, "--out", run.File("x"), "--samples", "1,zero");
}
