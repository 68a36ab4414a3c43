using System.Text.Json;
using Hrm.Tasks.Arc;

namespace Hrm.Tests.Tasks.Arc;

public class ArcScoringTests
{
    static ArcGrid G(params int[][] rows) => ArcGrid.FromRows(rows);
    static ArcGrid Solid(int h, int w, int colour) => new(h, w, Enumerable.Repeat(colour, h * w).ToArray());
    static ArcPair P(ArcGrid input, ArcGrid output) => new(input, output);
    static ArcTask Task(string name, params ArcPair[] test) => new(name, new[] { P(Solid(1, 1, 1), Solid(1, 1, 2)) }, test, "hand-made");

    // Task a: two test inputs; b and c: one each.
    static readonly ArcGrid A0 = G(new[] { 1, 2 }, new[] { 3, 4 }), A0Out = G(new[] { 4, 3 }, new[] { 2, 1 });
    static readonly ArcGrid A1 = G(new[] { 5, 6, 7 }), A1Out = G(new[] { 7 }, new[] { 6 }, new[] { 5 });
    static readonly ArcGrid B0 = Solid(2, 3, 3), B0Out = Solid(3, 2, 3);
    static readonly ArcGrid C0 = Solid(1, 2, 9), C0Out = Solid(1, 1, 9);
    static readonly IReadOnlyList<ArcTask> Tasks = new[] { Task("a", P(A0, A0Out), P(A1, A1Out)), Task("b", P(B0, B0Out)), Task("c", P(C0, C0Out)) };

    /// <summary>
    /// a: test 0 right at rank 1; test 1 right at rank 2 (the wrong grid has more votes). b: right at rank 3
    /// (two wrong grids with 2 votes, the right one 2 votes but the lowest confidence). c: no prediction.
    /// </summary>
    static ArcVoting Votes()
    {
        var v = new ArcVoting();
        // One of a's votes comes from an augmented test row: rotated and recoloured, mapped back by Add.
        var t = new ArcTransform(1, new[] { 0, 2, 1, 3, 4, 5, 6, 7, 8, 9 });
        v.Add(t.PuzzleName("a"), ArcCanvas.Encode(t.Apply(A0)), ArcCanvas.Encode(t.Apply(A0Out)), 0.9);
        v.Add("a", A0, A0Out, 0.5);
        v.Add("a", A0, Solid(2, 2, 0), 0.99);
        v.Add("a", A1, Solid(1, 3, 0), 0.1);
        v.Add("a", A1, Solid(1, 3, 0), 0.1);
        v.Add("a", A1, A1Out, 0.9);
        v.Add("b", B0, Solid(1, 1, 1), 0.9); v.Add("b", B0, Solid(1, 1, 1), 0.9);
        v.Add("b", B0, Solid(1, 1, 2), 0.8); v.Add("b", B0, Solid(1, 1, 2), 0.8);
        v.Add("b", B0, B0Out, 0.1); v.Add("b", B0, B0Out, 0.1);
        return v;
    }

    [Fact]
    public void PassAtKUnderTheHrmAndTrmRules()
    {
        var score = ArcScoring.Score(Tasks, Votes());
        Assert.Equal(new[] { "a", "b", "c" }, score.Tasks.Select(t => t.Task));
        Assert.Equal(new int?[] { 1, 2 }, score.Tasks[0].Tests.Select(t => t.Rank));
        Assert.Equal(new int?[] { 3 }, score.Tasks[1].Tests.Select(t => t.Rank));
        Assert.Equal(new int?[] { null }, score.Tasks[2].Tests.Select(t => t.Rank));
        Assert.Equal(0, score.Tasks[2].Tests[0].Candidates);

        // HRM: a task counts only when all its test inputs pass.
        Assert.Equal(0.0, score.PassAt(1));
        Assert.Equal(1.0 / 3, score.PassAt(2), 12);
        Assert.Equal(2.0 / 3, score.PassAt(5), 12);
        Assert.Equal(2.0 / 3, score.PassAt(10), 12);
        // TRM: a gets half a task at pass@1.
        Assert.Equal(0.5 / 3, score.PassAtTrm(1), 12);
        Assert.Equal(1.0 / 3, score.PassAtTrm(2), 12);
        Assert.Equal(2.0 / 3, score.PassAtTrm(5), 12);
        Assert.Equal(0.5, score.Tasks[0].FractionAt(1));
        Assert.False(score.Tasks[0].SolvedAt(1));
        Assert.True(score.Tasks[0].SolvedAt(2));
        // The existing HRM-rule score of ArcVoting agrees.
        foreach (var k in ArcScore.ReportedKs) Assert.Equal(Votes().Score(Tasks, k), score.PassAt(k), 12);

        var fields = score.JsonFields();
        Assert.Equal(new[] { "pass@1", "pass@2", "pass@5", "pass@10", "pass@1_trm", "pass@2_trm", "pass@5_trm", "pass@10_trm" }, fields.Select(f => f.Key));
        Assert.Equal(0.5 / 3, fields.Single(f => f.Key == "pass@1_trm").Value, 12);
    }

    [Fact]
    public void SubmissionJsonHasBothAttemptsForEveryTestInputInTaskOrder()
    {
        using var dir = new TempDirectory();
        var path = dir.File("submission.json");
        ArcScoring.WriteSubmission(path, Tasks, Votes());
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        Assert.Equal(new[] { "a", "b", "c" }, root.EnumerateObject().Select(p => p.Name));
        static ArcGrid Read(JsonElement e) => ArcReader.ReadGrid(e, "submission");
        foreach (var task in Tasks)
        {
            var entries = root.GetProperty(task.Name);
            Assert.Equal(task.Test.Count, entries.GetArrayLength());
            foreach (var entry in entries.EnumerateArray())
                Assert.Equal(new[] { "attempt_1", "attempt_2" }, entry.EnumerateObject().Select(p => p.Name));
        }
        var a = root.GetProperty("a");
        Assert.Equal(A0Out, Read(a[0].GetProperty("attempt_1")));
        Assert.Equal(Solid(2, 2, 0), Read(a[0].GetProperty("attempt_2")));
        Assert.Equal(Solid(1, 3, 0), Read(a[1].GetProperty("attempt_1")));
        Assert.Equal(A1Out, Read(a[1].GetProperty("attempt_2")));
        var b = root.GetProperty("b")[0];
        Assert.Equal(Solid(1, 1, 1), Read(b.GetProperty("attempt_1")));
        Assert.Equal(Solid(1, 1, 2), Read(b.GetProperty("attempt_2")));
        // No prediction at all: both attempts are the 1 x 1 fallback.
        var c = root.GetProperty("c")[0];
        Assert.Equal("[[0]]", c.GetProperty("attempt_1").GetRawText());
        Assert.Equal("[[0]]", c.GetProperty("attempt_2").GetRawText());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
    }

    [Fact]
    public void AttemptsRepeatTheBestAndSkipEmptyGrids()
    {
        var empty = new ArcGrid(0, 0, Array.Empty<int>());
        Assert.Equal((B0, B0), ArcScoring.Attempts(new[] { B0 }));
        Assert.Equal((B0, C0), ArcScoring.Attempts(new[] { empty, B0, C0, A0 }));
        Assert.Equal((ArcScoring.Fallback, ArcScoring.Fallback), ArcScoring.Attempts(new[] { empty }));
        Assert.Contains("appears twice", Assert.Throws<HrmException>(() => ArcScoring.Score(new[] { Tasks[1], Tasks[1] }, new ArcVoting())).Message);
    }
}
