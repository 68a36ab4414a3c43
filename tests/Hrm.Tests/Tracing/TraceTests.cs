using System.Text.Json;
using Hrm.Tracing;
using Hrm.Tests.Viz;

namespace Hrm.Tests.Tracing;

public sealed class TraceTests
{
    [Fact]
    public void Json_round_trip_keeps_every_field_with_snake_case_names()
    {
        var trace = SampleTraces.Maze7;
        var json = trace.ToJson();
        using var doc = JsonDocument.Parse(json);
        var entry = doc.RootElement.GetProperty("entries")[2];
        foreach (var name in new[] { "segment", "step", "answer", "rows", "cols", "confidence", "q_halt", "q_continue", "residual_zH", "residual_zL" })
            Assert.True(entry.TryGetProperty(name, out _), name);
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("step").ValueKind);
        Assert.Equal("maze", doc.RootElement.GetProperty("puzzle").GetProperty("task").GetString());

        var back = Trace.FromJson(json);
        Assert.Equal(6, back.Entries.Count);
        Assert.Equal(2, back.Segments);
        Assert.Equal(trace.Puzzle, back.Puzzle);
        for (int i = 0; i < trace.Entries.Count; i++)
        {
            var (a, b) = (trace.Entries[i], back.Entries[i]);
            Assert.Equal((a.Segment, a.Step, a.Answer, a.Rows, a.Cols, a.QHalt, a.QContinue, a.ResidualZH, a.ResidualZL),
                (b.Segment, b.Step, b.Answer, b.Rows, b.Cols, b.QHalt, b.QContinue, b.ResidualZH, b.ResidualZL));
            Assert.Equal(a.Confidence, b.Confidence);
        }
        Assert.Equal((trace.Decoding, trace.Valid, trace.Correct, trace.Problem), (back.Decoding, back.Valid, back.Correct, back.Problem));
    }

    [Fact]
    public void A_NaN_residual_survives_the_round_trip()
    {
        var t = SampleTraces.Sudoku4;
        var e = t.Entries[0] with { ResidualZH = double.NaN };
        var back = Trace.FromJson((t with { Entries = [e, .. t.Entries.Skip(1)] }).ToJson());
        Assert.True(double.IsNaN(back.Entries[0].ResidualZH));
    }

    [Theory]
    [InlineData("not json", "not a trace JSON")]
    [InlineData("null", "expected a JSON object")]
    [InlineData("{}", "missing 'puzzle'")]
    [InlineData("""{"puzzle": {"task": "chess", "input": "1", "rows": 1, "cols": 1}, "entries": [], "decoding": ""}""", "puzzle.task must be one of")]
    [InlineData("""{"puzzle": {"task": "sudoku", "input": "1.\n..", "rows": 2, "cols": 2}, "entries": [], "decoding": ""}""", "'entries' is empty")]
    [InlineData("""{"puzzle": {"task": "sudoku", "input": "1.\n..", "rows": 3, "cols": 2}, "entries": [], "decoding": ""}""", "2 rows, expected 3")]
    [InlineData("""{"puzzle": {"task": "maze", "input": "#x", "rows": 1, "cols": 2}, "entries": [], "decoding": ""}""", "holds 'x'")]
    [InlineData("""{"puzzle": {"task": "arc", "input": "12", "rows": 1, "cols": 2}, "entries": [{"segment": 1, "step": null, "answer": "12", "rows": 1, "cols": 2, "confidence": [1], "q_halt": 0, "q_continue": 0, "residual_zH": 0, "residual_zL": 0}], "decoding": ""}""", "confidence has 1 values, expected rows x cols = 2")]
    [InlineData("""{"puzzle": {"task": "arc", "input": "12", "rows": 1, "cols": 2}, "entries": [{"segment": 0, "step": null, "answer": "12", "rows": 1, "cols": 2, "confidence": [1, 1], "q_halt": 0, "q_continue": 0, "residual_zH": 0, "residual_zL": 0}], "decoding": ""}""", "segment must be >= 1")]
    [InlineData("""{"puzzle": {"task": "arc", "input": "12", "rows": 1, "cols": 2}, "entries": [{"segment": 1, "step": null, "answer": "12", "rows": 1, "cols": 2, "confidence": [1, 1.5], "q_halt": 0, "q_continue": 0, "residual_zH": 0, "residual_zL": 0}], "decoding": ""}""", "outside [0, 1]")]
    [InlineData("""{"puzzle": {"task": "arc", "input": "12", "rows": "one", "cols": 2}, "entries": [], "decoding": ""}""", "not a trace JSON")]
    public void Bad_json_is_a_clear_error(string json, string expected)
    {
        var e = Assert.Throws<HrmException>(() => Trace.FromJson(json, "t.json"));
        Assert.StartsWith("t.json: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void An_arc_prediction_without_a_grid_is_allowed()
    {
        var t = SampleTraces.ArcScale;
        var empty = t.Entries[0] with { Answer = "", Rows = 0, Cols = 0, Confidence = [] };
        Assert.Equal(0, Trace.FromJson((t with { Entries = [empty, .. t.Entries.Skip(1)] }).ToJson()).Entries[0].Rows);
    }
}
