using Hrm.Evaluation;
using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Evaluation;

/// <summary>The inference halting rules on a small seeded model (untrained: the rules are checked, not the answers).</summary>
public sealed class InferenceHaltTests : IDisposable
{
    const int Budget = 6;
    readonly ActModel _model;
    readonly Tensor _inputs, _ids;

    public InferenceHaltTests()
    {
        var cfg = new HrmConfig
        {
            SeqLen = 16, VocabSize = 6, HiddenSize = 32, NumHeads = 2, HLayers = 1, LLayers = 1, HCycles = 1, LCycles = 2,
            HaltMaxSteps = Budget, PuzzleEmbNdim = 0, ForwardDtype = "float32", BatchSize = 1,
        }.Validate();
        _model = new ActModel(cfg, new Generator(5));
        _inputs = randint(1, 6, [24, 16], dtype: int64, generator: new Generator(6));
        _ids = zeros(24, int64);
    }

    public void Dispose() { _model.Dispose(); _inputs.Dispose(); _ids.Dispose(); }

    void SetQBias(float halt, float cont)
    {
        using var _ = no_grad();
        _model.inner.q_head.bias!.copy_(tensor(new[] { halt, cont }));
    }

    RowResult[] Run(HaltPolicy policy, int? max = null) => Inference.Run(_model, _inputs, _ids, policy, max);

    [Fact]
    public void FullBudgetRunsEverySegment() =>
        Assert.All(Run(HaltPolicy.Full), r => { Assert.Equal(Budget, r.Segments); Assert.Equal(Budget, r.QHalt.Length); });

    [Fact]
    public void QValuesRuleStopsWhenQHaltExceedsQContinue()
    {
        SetQBias(1, 0);
        Assert.All(Run(HaltPolicy.QValues), r => Assert.Equal(1, r.Segments));
        SetQBias(0, 1);
        Assert.All(Run(HaltPolicy.QValues), r => Assert.Equal(Budget, r.Segments));
    }

    [Fact]
    public void ConfidentRuleComparesSigmoidOfQHaltWithTheThreshold()
    {
        SetQBias(0, 5);   // sigmoid(q_halt) = 0.5 everywhere (q_head weights start at zero), whatever q_continue says
        Assert.All(Run(new HaltPolicy(HaltRule.Confident, 0.4)), r => Assert.Equal(1, r.Segments));
        Assert.All(Run(new HaltPolicy(HaltRule.Confident, 0.6)), r => Assert.Equal(Budget, r.Segments));
        Assert.Throws<HrmException>(() => Run(new HaltPolicy(HaltRule.Confident, 1.0)));
    }

    [Fact]
    public void StableRuleStopsAtTheFirstRepeatedAnswerAndReturnsIt()
    {
        var stable = Run(new HaltPolicy(HaltRule.Stable));
        var bySegment = Enumerable.Range(1, Budget).Select(k => Run(HaltPolicy.Full, k)).ToArray();   // answers after k segments
        for (int i = 0; i < stable.Length; i++)
        {
            int k = stable[i].Segments;
            Assert.InRange(k, 2, Budget);
            Assert.Equal(bySegment[k - 1][i].Prediction, stable[i].Prediction);
            for (int j = 2; j < k; j++)   // no earlier repeat
                Assert.NotEqual(bySegment[j - 2][i].Prediction, bySegment[j - 1][i].Prediction);
            if (k < Budget) Assert.Equal(bySegment[k - 2][i].Prediction, stable[i].Prediction);
        }
    }

    [Theory]
    [InlineData("q", HaltRule.QValues)]
    [InlineData("Stable", HaltRule.Stable)]
    [InlineData("confident", HaltRule.Confident)]
    [InlineData("full", HaltRule.Full)]
    public void RuleNamesParse(string text, HaltRule rule) => Assert.Equal(rule, HaltPolicy.ParseRule(text));
}
