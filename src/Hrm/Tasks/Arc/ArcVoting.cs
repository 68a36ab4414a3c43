namespace Hrm.Tasks.Arc;

/// <summary>One distinct predicted grid for a test input: its votes and the mean confidence (sigmoid(q_halt)) of them.</summary>
public sealed record ArcCandidate(ArcGrid Grid, int Votes, double MeanConfidence);

/// <summary>
/// ARC scoring by voting over augmented versions (arc_eval.ipynb). Each test-split row is mapped back to the original
/// task frame: crop its input and predicted canvases (<see cref="ArcCanvas.Crop"/>), undo its augmentation (named in
/// the puzzle name), and pool predictions per (task, original test input) by exact grid equality. Candidates rank by
/// vote count, then mean confidence, then first appearance; pass@K holds if the true output is among the top K.
/// </summary>
public sealed class ArcVoting
{
    // task -> test input -> candidate grid -> (votes, confidence sum, first-seen order)
    readonly Dictionary<string, Dictionary<ArcGrid, Dictionary<ArcGrid, (int Votes, double Sum, int Order)>>> _pool = new();
    int _order;

    /// <summary>The original task, original-frame test input and original-frame prediction of one test-split row.</summary>
    public static (string Task, ArcGrid Input, ArcGrid Prediction) Decode(string puzzleName, ReadOnlySpan<int> inputCanvas, ReadOnlySpan<int> predictedCanvas)
    {
        var (task, transform) = ArcTransform.ParseName(puzzleName);
        return (task, transform.Invert(ArcCanvas.Crop(inputCanvas)), transform.Invert(ArcCanvas.Crop(predictedCanvas)));
    }

    /// <summary>Adds one row's prediction (canvases as in the test split, <paramref name="confidence"/> = sigmoid(q_halt)).</summary>
    public void Add(string puzzleName, ReadOnlySpan<int> inputCanvas, ReadOnlySpan<int> predictedCanvas, double confidence)
    {
        var (task, input, prediction) = Decode(puzzleName, inputCanvas, predictedCanvas);
        Add(task, input, prediction, confidence);
    }

    /// <summary>Adds a prediction already in the original frame.</summary>
    public void Add(string task, ArcGrid input, ArcGrid prediction, double confidence)
    {
        if (!_pool.TryGetValue(task, out var inputs)) _pool[task] = inputs = new();
        if (!inputs.TryGetValue(input, out var candidates)) inputs[input] = candidates = new();
        var (votes, sum, order) = candidates.TryGetValue(prediction, out var s) ? s : (0, 0.0, _order++);
        candidates[prediction] = (votes + 1, sum + confidence, order);
    }

    /// <summary>Distinct predictions for one test input, best first (empty if none was added).</summary>
    public IReadOnlyList<ArcCandidate> Ranked(string task, ArcGrid input)
    {
        if (!_pool.TryGetValue(task, out var inputs) || !inputs.TryGetValue(input, out var candidates)) return Array.Empty<ArcCandidate>();
        return candidates.OrderByDescending(kv => kv.Value.Votes).ThenByDescending(kv => kv.Value.Sum / kv.Value.Votes)
            .ThenBy(kv => kv.Value.Order).Select(kv => new ArcCandidate(kv.Key, kv.Value.Votes, kv.Value.Sum / kv.Value.Votes)).ToList();
    }

    /// <summary>Whether <paramref name="truth"/> is among the top <paramref name="k"/> predictions for this test input.</summary>
    public bool PassAtK(string task, ArcGrid input, ArcGrid truth, int k) => Ranked(task, input).Take(k).Any(c => c.Grid.Equals(truth));

    /// <summary>
    /// Fraction of <paramref name="tasks"/> solved at pass@<paramref name="k"/>: a task counts only if every one of its
    /// test pairs passes.
    /// </summary>
    public double Score(IEnumerable<ArcTask> tasks, int k)
    {
        int total = 0, solved = 0;
        foreach (var task in tasks)
        {
            total++;
            if (task.Test.All(p => PassAtK(task.Name, p.Input, p.Output, k))) solved++;
        }
        return total == 0 ? 0 : (double)solved / total;
    }
}
