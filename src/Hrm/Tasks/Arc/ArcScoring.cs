using System.Text.Json;

namespace Hrm.Tasks.Arc;

/// <summary>
/// One test input of a task: the 1-based rank of its expected output among the voted candidates (null if no
/// candidate equals it) and how many distinct candidates there were.
/// </summary>
public sealed record ArcTestResult(int Index, int? Rank, int Candidates)
{
    public bool PassAt(int k) => Rank is { } r && r <= k;
}

/// <summary>The test inputs of one task, in the task's order.</summary>
public sealed record ArcTaskScore(string Task, IReadOnlyList<ArcTestResult> Tests)
{
    /// <summary>HRM rule: the task counts only if every test input passes at <paramref name="k"/>.</summary>
    public bool SolvedAt(int k) => Tests.All(t => t.PassAt(k));

    /// <summary>TRM rule: the fraction of the task's test inputs that pass at <paramref name="k"/>.</summary>
    public double FractionAt(int k) => (double)Tests.Count(t => t.PassAt(k)) / Tests.Count;
}

/// <summary>pass@K over a set of tasks under both rules.</summary>
public sealed record ArcScore(IReadOnlyList<ArcTaskScore> Tasks)
{
    /// <summary>The K values reported: 1 and 2 (ARC's own pass@2 is two attempts), 5 and 10.</summary>
    public static IReadOnlyList<int> ReportedKs { get; } = new[] { 1, 2, 5, 10 };

    /// <summary>HRM rule (arc_eval.ipynb): solved tasks / tasks, a task solved only if all its test inputs are.</summary>
    public double PassAt(int k) => Tasks.Count == 0 ? 0 : (double)Tasks.Count(t => t.SolvedAt(k)) / Tasks.Count;

    /// <summary>TRM rule (evaluators/arc.py): mean over tasks of the fraction of their test inputs right.</summary>
    public double PassAtTrm(int k) => Tasks.Count == 0 ? 0 : Tasks.Average(t => t.FractionAt(k));

    /// <summary>
    /// The fields for a set's JSON: "pass@K" (HRM rule) and "pass@K_trm" (TRM rule) for each K of
    /// <see cref="ReportedKs"/>, as fractions, in that order.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, double>> JsonFields() =>
        ReportedKs.Select(k => KeyValuePair.Create($"pass@{k}", PassAt(k)))
            .Concat(ReportedKs.Select(k => KeyValuePair.Create($"pass@{k}_trm", PassAtTrm(k)))).ToList();
}

/// <summary>
/// ARC end-to-end scoring over voted candidates (<see cref="ArcVoting"/>, or ranked lists from elsewhere): pass@K
/// per task and overall under the HRM and the TRM rule, and the Kaggle submission file.
/// </summary>
public static class ArcScoring
{
    /// <summary>
    /// Scores <paramref name="tasks"/> (with their expected test outputs) against the candidates
    /// <paramref name="voting"/> ranked for each test input; a test input with no prediction fails at every K.
    /// </summary>
    public static ArcScore Score(IReadOnlyList<ArcTask> tasks, ArcVoting voting) =>
        Score(tasks.Select(t => (t.Name, (IReadOnlyList<(IReadOnlyList<ArcGrid>, ArcGrid)>)t.Test
            .Select(p => ((IReadOnlyList<ArcGrid>)voting.Ranked(t.Name, p.Input).Select(c => c.Grid).ToList(), p.Output)).ToList())));

    /// <summary>Scores ranked candidate lists (best first) per task and test input against the expected outputs.</summary>
    public static ArcScore Score(IEnumerable<(string Task, IReadOnlyList<(IReadOnlyList<ArcGrid> Ranked, ArcGrid Expected)> Tests)> tasks)
    {
        var scores = new List<ArcTaskScore>();
        var names = new HashSet<string>();
        foreach (var (task, tests) in tasks)
        {
            if (!names.Add(task)) throw new HrmException($"ARC scoring: task {task} appears twice");
            if (tests.Count == 0) throw new HrmException($"ARC scoring: task {task} has no test inputs");
            scores.Add(new ArcTaskScore(task, tests.Select((t, i) =>
            {
                int index = IndexOf(t.Ranked, t.Expected);
                return new ArcTestResult(i, index < 0 ? null : index + 1, t.Ranked.Count);
            }).ToList()));
        }
        return new ArcScore(scores);
    }

    static int IndexOf(IReadOnlyList<ArcGrid> ranked, ArcGrid expected)
    {
        for (int i = 0; i < ranked.Count; i++) if (ranked[i].Equals(expected)) return i;
        return -1;
    }

    /// <summary>What a submission holds when there is no usable candidate: a 1 x 1 grid of colour 0.</summary>
    public static ArcGrid Fallback { get; } = new(1, 1, new[] { 0 });

    /// <summary>
    /// The two attempts for one test input: the two best candidates that are real grids (a prediction whose canvas
    /// crops to 0 x 0 is skipped); the best twice when there is only one; <see cref="Fallback"/> twice when none.
    /// </summary>
    public static (ArcGrid Attempt1, ArcGrid Attempt2) Attempts(IReadOnlyList<ArcGrid> ranked)
    {
        var usable = ranked.Where(g => g.Height > 0 && g.Width > 0).Take(2).ToList();
        return usable.Count switch
        {
            0 => (Fallback, Fallback),
            1 => (usable[0], usable[0]),
            _ => (usable[0], usable[1]),
        };
    }

    /// <summary>The Kaggle submission for <paramref name="tasks"/>, from <paramref name="voting"/>'s ranking (see <see cref="SubmissionJson(IEnumerable{ValueTuple{string, IReadOnlyList{IReadOnlyList{ArcGrid}}}})"/>).</summary>
    public static string SubmissionJson(IReadOnlyList<ArcTask> tasks, ArcVoting voting) =>
        SubmissionJson(tasks.Select(t => (t.Name, (IReadOnlyList<IReadOnlyList<ArcGrid>>)t.Test
            .Select(p => (IReadOnlyList<ArcGrid>)voting.Ranked(t.Name, p.Input).Select(c => c.Grid).ToList()).ToList())));

    /// <summary>
    /// The Kaggle submission JSON: {task_id: [{"attempt_1": grid, "attempt_2": grid}, ...]}, tasks in the given order,
    /// one entry per test input in the task's order, both attempts always present as grids (<see cref="Attempts"/>).
    /// </summary>
    public static string SubmissionJson(IEnumerable<(string Task, IReadOnlyList<IReadOnlyList<ArcGrid>> RankedPerTest)> tasks)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            var names = new HashSet<string>();
            json.WriteStartObject();
            foreach (var (task, tests) in tasks)
            {
                if (!names.Add(task)) throw new HrmException($"ARC submission: task {task} appears twice");
                if (tests.Count == 0) throw new HrmException($"ARC submission: task {task} has no test inputs");
                json.WriteStartArray(task);
                foreach (var ranked in tests)
                {
                    var (a1, a2) = Attempts(ranked);
                    json.WriteStartObject();
                    json.WritePropertyName("attempt_1"); WriteGrid(json, a1);
                    json.WritePropertyName("attempt_2"); WriteGrid(json, a2);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <see cref="SubmissionJson(IReadOnlyList{ArcTask}, ArcVoting)"/> to <paramref name="path"/> (temporary file, then rename).</summary>
    public static void WriteSubmission(string path, IReadOnlyList<ArcTask> tasks, ArcVoting voting) =>
        AtomicFile.WriteAllText(path, SubmissionJson(tasks, voting));

    static void WriteGrid(Utf8JsonWriter json, ArcGrid grid)
    {
        json.WriteStartArray();
        for (int r = 0; r < grid.Height; r++)
        {
            json.WriteStartArray();
            for (int c = 0; c < grid.Width; c++) json.WriteNumberValue(grid[r, c]);
            json.WriteEndArray();
        }
        json.WriteEndArray();
    }
}
