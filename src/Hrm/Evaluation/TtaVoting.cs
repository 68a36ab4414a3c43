using Hrm.Tasks;

namespace Hrm.Evaluation;

/// <summary>
/// One distinct answer of a test-time vote, in the original frame: how many views gave it, the mean sigmoid(q_halt)
/// of those views, whether it passes the task's rule check (null without one) and the first view that gave it.
/// </summary>
public sealed record TtaCandidate(int[] Answer, int Votes, double MeanConfidence, bool? Valid, int FirstView);

/// <summary>
/// Test-time augmentation by voting: run the model on K views of a test puzzle (<see cref="TokenViewFactory"/>; view 0
/// the identity), map each view's prediction back to the original frame (<see cref="ITokenView.Invert"/>), and pool
/// equal answers. Answers rank by: valid before invalid where a rule check is given (so a valid minority beats an
/// invalid majority), then votes, then the mean sigmoid(q_halt) of the views that gave them, then the earliest view
/// (so the ranking is total and the identity view's answer wins a full tie). The same ranking as
/// <see cref="Tasks.Arc.ArcVoting"/> for ARC, plus the rule check.
/// </summary>
public static class TtaVoting
{
    /// <summary>The model inputs of every view, in view order.</summary>
    public static int[][] ViewInputs(IReadOnlyList<ITokenView> views, int[] input) => views.Select(v => v.Apply(input)).ToArray();

    /// <summary>Each view's prediction (in that view's frame) mapped back to the original frame.</summary>
    public static int[][] MapBack(IReadOnlyList<ITokenView> views, IReadOnlyList<int[]> viewPredictions)
    {
        if (views.Count != viewPredictions.Count)
            throw new HrmException($"test-time augmentation: {viewPredictions.Count} predictions for {views.Count} views");
        return views.Select((v, i) => v.Invert(viewPredictions[i])).ToArray();
    }

    /// <summary>
    /// The distinct answers, best first, from the views' predictions (each in its view's frame) and q_halt logits.
    /// <paramref name="isValid"/>(input, answer) sees both in the original frame.
    /// </summary>
    public static IReadOnlyList<TtaCandidate> Rank(int[] input, IReadOnlyList<ITokenView> views, IReadOnlyList<int[]> viewPredictions,
        IReadOnlyList<double> qHaltLogits, Func<int[], int[], bool>? isValid = null) =>
        RankAnswers(input, MapBack(views, viewPredictions), qHaltLogits, isValid);

    /// <summary>The best answer of <see cref="Rank"/>.</summary>
    public static TtaCandidate Vote(int[] input, IReadOnlyList<ITokenView> views, IReadOnlyList<int[]> viewPredictions,
        IReadOnlyList<double> qHaltLogits, Func<int[], int[], bool>? isValid = null) =>
        Rank(input, views, viewPredictions, qHaltLogits, isValid)[0];

    /// <summary><see cref="Rank"/> for answers already in the original frame (one per view, in view order).</summary>
    public static IReadOnlyList<TtaCandidate> RankAnswers(int[] input, IReadOnlyList<int[]> answers, IReadOnlyList<double> qHaltLogits,
        Func<int[], int[], bool>? isValid = null)
    {
        if (answers.Count == 0) throw new HrmException("test-time augmentation: no predictions to vote on");
        if (answers.Count != qHaltLogits.Count)
            throw new HrmException($"test-time augmentation: {answers.Count} predictions but {qHaltLogits.Count} q_halt values");
        var pooled = new Dictionary<int[], (int Votes, double Sum, int First)>(Search.AnswerComparer.Instance);
        for (int i = 0; i < answers.Count; i++)
        {
            double confidence = Sigmoid(qHaltLogits[i]);
            pooled[answers[i]] = pooled.TryGetValue(answers[i], out var s) ? (s.Votes + 1, s.Sum + confidence, s.First) : (1, confidence, i);
        }
        return pooled
            .Select(kv => new TtaCandidate(kv.Key, kv.Value.Votes, kv.Value.Sum / kv.Value.Votes, isValid?.Invoke(input, kv.Key), kv.Value.First))
            .OrderByDescending(c => c.Valid ?? false)
            .ThenByDescending(c => c.Votes)
            .ThenByDescending(c => c.MeanConfidence)
            .ThenBy(c => c.FirstView)
            .ToList();
    }

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
