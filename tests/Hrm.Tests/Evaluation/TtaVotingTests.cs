using Hrm.Evaluation;
using Hrm.Tasks;
using Hrm.Tasks.Maze;

namespace Hrm.Tests.Evaluation;

public class TtaVotingTests
{
    // A 5x5 maze: S top-left, G bottom-right, an open ring with two shortest routes of length 8.
    static readonly int[] Input = MazeEncoding.Encode(
        "S    " +
        " ### " +
        " ### " +
        " ### " +
        "    G");
    // Both shortest paths, and a wrong answer (a path mark on a wall).
    static readonly int[] Top = MazeEncoding.Encode("Soooo" + " ###o" + " ###o" + " ###o" + "    G");
    static readonly int[] Left = MazeEncoding.Encode("S    " + "o### " + "o### " + "o### " + "ooooG");
    static readonly int[] Wrong = MazeEncoding.Encode("Sooo " + " #o#o" + " ###o" + " ###o" + "    G");

    static bool IsValid(int[] input, int[] answer) => MazeSolver.Verify(input, answer, 5) is null;

    /// <summary>The views' predictions, each in its own view's frame, for answers given in the original frame.</summary>
    static (IReadOnlyList<ITokenView> Views, int[][] Predictions) Predict(params int[][] answers)
    {
        var views = MazeViews.Views(Input, answers.Length, seed: 2);
        Assert.Equal(answers.Length, views.Count);
        return (views, answers.Select((a, i) => views[i].Apply(a)).ToArray());
    }

    [Fact]
    public void PicksTheMajorityAnswerMappedBack()
    {
        var (views, predictions) = Predict(Left, Top, Top, Left, Top);
        // The minority (Left) is more confident, but votes come first.
        var ranked = TtaVoting.Rank(Input, views, predictions, new[] { 5.0, 0, 0, 5, 0 });
        Assert.Equal(2, ranked.Count);
        Assert.Equal(Top, ranked[0].Answer);
        Assert.Equal(3, ranked[0].Votes);
        Assert.Equal(0.5, ranked[0].MeanConfidence, 12);
        Assert.Equal(1, ranked[0].FirstView);
        Assert.Null(ranked[0].Valid);
        Assert.Equal(Left, ranked[1].Answer);
        Assert.Equal(1 / (1 + Math.Exp(-5)), ranked[1].MeanConfidence, 12);
        Assert.Equal(Top, TtaVoting.Vote(Input, views, predictions, new[] { 5.0, 0, 0, 5, 0 }).Answer);
        // Mapping back is what makes the votes agree: raw, the views' predictions are not the answers.
        var answers = new[] { Left, Top, Top, Left, Top };
        Assert.Contains(Enumerable.Range(1, 4), i => !predictions[i].SequenceEqual(answers[i]));
    }

    [Fact]
    public void BreaksATieByMeanSigmoidOfQHalt()
    {
        var (views, predictions) = Predict(Left, Top, Left, Top);
        var q = new[] { -1.0, 2, -1, 1 };
        Assert.Equal(Top, TtaVoting.Vote(Input, views, predictions, q).Answer);
        Assert.Equal(Left, TtaVoting.Vote(Input, views, predictions, new[] { 5.0, 2, 5, 1 }).Answer);
        // A full tie goes to the earliest view (view 0, the identity).
        Assert.Equal(Left, TtaVoting.Vote(Input, views, predictions, new[] { 0.0, 0, 0, 0 }).Answer);
    }

    [Fact]
    public void AValidMinorityBeatsAnInvalidMajority()
    {
        var (views, predictions) = Predict(Wrong, Wrong, Left, Wrong);
        var q = new[] { 4.0, 4, -4, 4 };
        Assert.Equal(Wrong, TtaVoting.Vote(Input, views, predictions, q).Answer);
        var ranked = TtaVoting.Rank(Input, views, predictions, q, IsValid);
        Assert.Equal(Left, ranked[0].Answer);
        Assert.True(ranked[0].Valid);
        Assert.Equal(Wrong, ranked[1].Answer);
        Assert.Equal((false, 3), (ranked[1].Valid, ranked[1].Votes));
    }

    [Fact]
    public void ViewInputsAndMismatchedCounts()
    {
        var views = MazeViews.Views(Input, 4, seed: 2);
        var inputs = TtaVoting.ViewInputs(views, Input);
        Assert.Equal(Input, inputs[0]);
        for (int i = 0; i < 4; i++) Assert.Equal(Input, views[i].Invert(inputs[i]));
        Assert.Contains("3 predictions for 4 views", Assert.Throws<HrmException>(() => TtaVoting.Rank(Input, views, inputs.Take(3).ToArray(), new double[3])).Message);
        Assert.Contains("q_halt", Assert.Throws<HrmException>(() => TtaVoting.RankAnswers(Input, inputs, new double[2])).Message);
    }
}
