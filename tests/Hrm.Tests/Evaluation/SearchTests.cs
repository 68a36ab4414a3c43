using Hrm.Evaluation;
using Hrm.Model;
using Hrm.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Evaluation;

/// <summary>Test-time search on a small seeded model (untrained: the mechanics are checked, not the answers).</summary>
public sealed class SearchTests : IDisposable
{
    const int Budget = 5;
    readonly ActModel _model;
    readonly int[][] _puzzles;
    readonly long[] _ids;

    public SearchTests()
    {
        var cfg = new HrmConfig
        {
            SeqLen = 16, VocabSize = 6, HiddenSize = 32, NumHeads = 2, HLayers = 1, LLayers = 1, HCycles = 1, LCycles = 2,
            HaltMaxSteps = Budget, PuzzleEmbNdim = 0, ForwardDtype = "float32", BatchSize = 1,
        }.Validate();
        _model = new ActModel(cfg, new Generator(5));
        _model.eval();
        var rng = new Random(3);
        _puzzles = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 16).Select(_ => rng.Next(1, 6)).ToArray()).ToArray();
        _ids = new long[_puzzles.Length];
        // A q head that depends on the state, so that trajectories differ in q_halt too.
        using var _ = no_grad();
        _model.inner.q_head.weight.copy_(randn([2, 32], generator: new Generator(9)) * 0.5);
    }

    public void Dispose() => _model.Dispose();

    SearchResult[] Run(SearchOptions options, HaltPolicy? halt = null, int[][]? puzzles = null) =>
        Search.Run(_model, null, puzzles ?? _puzzles, (puzzles ?? _puzzles).Select(_ => 0L).ToArray(), options, halt, Budget);

    RowResult[] Plain(HaltPolicy halt)
    {
        using var scope = NewDisposeScope();
        var x = tensor(_puzzles.SelectMany(p => p.Select(t => (long)t)).ToArray(), [_puzzles.Length, 16]);
        return Inference.Run(_model, x, zeros(_puzzles.Length, int64), halt, Budget);
    }

    [Theory]
    [InlineData(HaltRule.Full)]
    [InlineData(HaltRule.Stable)]
    public void OneSampleIsThePlainRunBitForBit(HaltRule rule)
    {
        var halt = new HaltPolicy(rule);
        var plain = Plain(halt);
        var found = Run(new SearchOptions { Samples = 1 }, halt);
        for (int p = 0; p < _puzzles.Length; p++)
        {
            var c = Assert.Single(found[p].Candidates);
            Assert.Equal(plain[p].Prediction, c.Answer);
            Assert.Equal(plain[p].QHalt, c.Row.QHalt);
            Assert.Equal(plain[p].QContinue, c.Row.QContinue);
            Assert.Equal(plain[p].Segments, c.Segments);
        }
    }

    [Theory]
    [InlineData(Perturbation.Init)]
    [InlineData(Perturbation.Segment)]
    [InlineData(Perturbation.Both)]
    public void TheSameSeedGivesTheSameCandidatesAndChoiceAndTrajectoryZeroStaysPlain(Perturbation at)
    {
        var options = new SearchOptions { Samples = 4, Noise = 1.0, Perturb = at, Seed = 7 };
        var a = Run(options);
        var b = Run(options);
        var other = Run(options with { Seed = 8 });
        var plain = Plain(HaltPolicy.Full);
        for (int p = 0; p < _puzzles.Length; p++)
        {
            Assert.Equal(a[p].Chosen, b[p].Chosen);
            Assert.Equal(a[p].Candidates.Select(c => c.Row.QHalt), b[p].Candidates.Select(c => c.Row.QHalt));
            Assert.Equal(a[p].Candidates.Select(c => c.Answer), b[p].Candidates.Select(c => c.Answer));
            Assert.Equal(plain[p].QHalt, a[p].Candidates[0].Row.QHalt);
        }
        // The noise moves the sampled trajectories, and another seed moves them elsewhere.
        Assert.Contains(a.SelectMany(r => r.Candidates.Skip(1)), c => c.Row.QHalt[^1] != a[0].Candidates[0].Row.QHalt[^1]);
        Assert.NotEqual(a.SelectMany(r => r.Candidates.Select(c => c.QHalt)), other.SelectMany(r => r.Candidates.Select(c => c.QHalt)));
    }

    [Fact]
    public void ZeroNoiseRepeatsThePlainTrajectory()
    {
        var found = Run(new SearchOptions { Samples = 3, Noise = 0 });
        foreach (var r in found)
            Assert.All(r.Candidates, c => { Assert.Equal(r.Candidates[0].Answer, c.Answer); Assert.Equal(r.Candidates[0].QHalt, c.QHalt); });
    }

    [Fact]
    public void BatchingThePuzzlesGivesTheSameCandidatesAsRunningThemOneByOne()
    {
        var options = new SearchOptions { Samples = 3, Noise = 0.8, Perturb = Perturbation.Both, Seed = 1 };
        var together = Run(options);
        for (int p = 0; p < _puzzles.Length; p++)
        {
            var alone = Run(options, puzzles: [_puzzles[p]])[0];
            Assert.Equal(alone.Candidates.Count, together[p].Candidates.Count);
            for (int k = 0; k < alone.Candidates.Count; k++)
            {
                Assert.Equal(alone.Candidates[k].Answer, together[p].Candidates[k].Answer);
                Assert.Equal(alone.Candidates[k].QHalt, together[p].Candidates[k].QHalt, 4);
            }
            Assert.Equal(alone.Chosen, together[p].Chosen);
        }
    }

    [Fact]
    public void HaltPicksTheHighestQCandidate()
    {
        foreach (var r in Run(new SearchOptions { Samples = 6, Noise = 1.0, Seed = 3 }))
            Assert.Equal(r.Candidates.Max(c => c.QHalt), r.Candidates[r.ByHalt].QHalt);
    }

    static Candidate C(int[] answer, float q, bool? valid = null, bool cut = false) =>
        new(answer, 0, 0, q, 1, valid, cut, new RowResult(answer, 1, [q], [0]));

    [Fact]
    public void CheckNeverReturnsARejectedAnswerWhenAnotherPasses()
    {
        var cs = new[] { C([1], 3f, false), C([2], -1f, true), C([3], 0.5f, true), C([1], 2f, false) };
        Assert.Equal(2, Search.Pick(cs, SelectRule.Check));   // the best-q candidate the checker accepts
        Assert.Equal(0, Search.Pick(cs, SelectRule.Halt));    // the model alone prefers the rejected one
        // Nothing passes: check falls back to halt.
        var none = new[] { C([1], 1f, false), C([2], 2f, false) };
        Assert.Equal(1, Search.Pick(none, SelectRule.Check));
    }

    [Fact]
    public void ATaskWithoutACheckerFallsBackToHalt()
    {
        var cs = new[] { C([1], 1f), C([2], 4f), C([3], 2f) };
        Assert.Equal(Search.Pick(cs, SelectRule.Halt), Search.Pick(cs, SelectRule.Check));
        Assert.Equal(1, Search.Pick(cs, SelectRule.Check));
    }

    [Fact]
    public void VotePicksTheMostFrequentAnswerWithTiesByQ()
    {
        var cs = new[] { C([1], 5f), C([2], 1f), C([2], 0f), C([3], 2f), C([3], 3f) };
        // Answers 2 and 3 have two votes each; 3's best q (3) beats 2's (1): its best candidate is returned.
        Assert.Equal(4, Search.Pick(cs, SelectRule.Vote));
        Assert.Equal(0, Search.Pick(cs, SelectRule.Halt));
    }

    [Fact]
    public void CutCandidatesTakeNoPartInTheChoice()
    {
        var cs = new[] { C([1], 1f), C([2], 9f, cut: true) };
        Assert.Equal(0, Search.Pick(cs, SelectRule.Halt));
    }

    [Fact]
    public void AVoteIsDecidedByAStrictMajorityOnly()
    {
        var two = new List<(int[], float, bool?)> { ([1], 0f, null), ([1], 0f, null) };
        Assert.False(Search.Decided(SelectRule.Vote, two, 4, 0));
        two.Add(([1], 0f, null));
        Assert.True(Search.Decided(SelectRule.Vote, two, 4, 0));
        Assert.True(Search.Decided(SelectRule.Halt, [([5], 0.5f, null)], 4, 0));
        Assert.False(Search.Decided(SelectRule.Halt, [([5], -0.5f, null)], 4, 0));
        Assert.True(Search.Decided(SelectRule.Check, [([5], -3f, true)], 4, 0));
    }

    [Fact]
    public void WithAnEarlyExitRuleADecidedPuzzleCutsItsOtherTrajectories()
    {
        // sigmoid(q_halt) >= 0.3 everywhere: every trajectory would stop after one segment; with q and the halt rule the
        // first finished candidate accepted by the model decides.
        using (no_grad())
        {
            _model.inner.q_head.weight.zero_();
            _model.inner.q_head.bias!.copy_(tensor(new[] { 1f, 0f }));
        }
        var found = Run(new SearchOptions { Samples = 4, Noise = 0.5 }, HaltPolicy.QValues);
        Assert.All(found, r => Assert.All(r.Candidates, c => Assert.Equal(1, c.Segments)));
        using (no_grad()) _model.inner.q_head.bias!.copy_(tensor(new[] { -1f, 0f }));
        var full = Run(new SearchOptions { Samples = 4, Noise = 0.5 }, HaltPolicy.QValues);
        Assert.All(full, r => Assert.All(r.Candidates, c => { Assert.Equal(Budget, c.Segments); Assert.False(c.Cut); }));
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(-1, 0.5)]
    [InlineData(2, -0.1)]
    [InlineData(2, double.NaN)]
    [InlineData(SearchOptions.MaxSamples + 1, 0.5)]
    public void BadValuesAreRefused(int samples, double noise) =>
        Assert.Throws<HrmException>(() => new SearchOptions { Samples = samples, Noise = noise }.Validate());

    [Fact]
    public void UnknownRulesAreRefusedWithTheChoices()
    {
        Assert.Contains("halt, vote or check", Assert.Throws<HrmException>(() => SearchOptions.ParseSelect("best")).Message);
        Assert.Contains("init, segment or both", Assert.Throws<HrmException>(() => SearchOptions.ParsePerturbation("all")).Message);
        Assert.Equal(SelectRule.Check, SearchOptions.ParseSelect("CHECK"));
    }

    [Fact]
    public void TheNoiseSeedDependsOnThePuzzleNotOnItsPlaceInTheBatch()
    {
        var key = Search.KeyOf(_puzzles[0]);
        Assert.Equal(key, Search.KeyOf(_puzzles[0].ToArray()));
        Assert.NotEqual(key, Search.KeyOf(_puzzles[1]));
        Assert.NotEqual(Search.NoiseSeed(0, key, 0, 1, 0), Search.NoiseSeed(0, key, 0, 2, 0));
        Assert.NotEqual(Search.NoiseSeed(0, key, 0, 1, 0), Search.NoiseSeed(0, key, 0, 1, 1));
        Assert.NotEqual(Search.NoiseSeed(0, key, 0, 1, 0), Search.NoiseSeed(1, key, 0, 1, 0));
    }
}
