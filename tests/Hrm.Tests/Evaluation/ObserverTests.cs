using Hrm.Evaluation;
using Hrm.Model;
using static TorchSharp.torch;

namespace Hrm.Tests.Evaluation;

/// <summary>The inference loop's observers see every segment and every update inside it, in order.</summary>
public class ObserverTests
{
    sealed class Recorder : IInferenceObserver, IStepObserver
    {
        public readonly List<string> Events = [];
        int segment;
        public IStepObserver? StepsOf(int segment, long[] rows) { this.segment = segment; return this; }
        public void OnStep(in ReasoningStep s) => Events.Add($"{segment}:{s.Kind}{s.Step}:{s.ZH.shape[0]}");
        public void OnSegment(SegmentReport r) => Events.Add($"{segment}:end:{string.Join(",", r.Rows)}");
    }

    static ActModel Tiny(int hCycles, int lCycles, int haltMaxSteps) => new(new HrmConfig
    {
        SeqLen = 16, VocabSize = 6, HiddenSize = 16, NumHeads = 2, HLayers = 1, LLayers = 1, HCycles = hCycles, LCycles = lCycles,
        HaltMaxSteps = haltMaxSteps, PuzzleEmbNdim = 0, ForwardDtype = "float32", BatchSize = 2,
    }, new Generator(7));

    [Fact]
    public void Every_segment_and_step_is_seen_in_order()
    {
        using var model = Tiny(hCycles: 2, lCycles: 3, haltMaxSteps: 2);
        using var scope = NewDisposeScope();
        var inputs = randint(1, 6, [2, 16], generator: new Generator(1), dtype: int64);
        var rec = new Recorder();
        Inference.Run(model, inputs, zeros(2, int64), HaltPolicy.Full, observer: rec);
        string[] segment(int m) => [.. new[] { "Low1", "Low2", "Low3", "High3", "Low4", "Low5", "Low6", "High6" }.Select(e => $"{m}:{e}:2"), $"{m}:end:0,1"];
        Assert.Equal([.. segment(1), .. segment(2)], rec.Events);
    }

    [Fact]
    public void Observing_does_not_change_the_answers_and_budgets_beyond_training_keep_going()
    {
        using var model = Tiny(hCycles: 1, lCycles: 2, haltMaxSteps: 2);
        using var scope = NewDisposeScope();
        var inputs = randint(1, 6, [2, 16], generator: new Generator(2), dtype: int64);
        model.train();
        var plain = Inference.Run(model, inputs, zeros(2, int64), HaltPolicy.Full, maxSegments: 5);
        var rec = new Recorder();
        var observed = Inference.Run(model, inputs, zeros(2, int64), HaltPolicy.Full, maxSegments: 5, observer: rec);
        Assert.Equal(plain.Select(r => r.Prediction), observed.Select(r => r.Prediction));
        Assert.All(observed, r => Assert.Equal(5, r.Segments));
        Assert.Equal(5, rec.Events.Count(e => e.Contains(":end:")));
        Assert.True(model.training);   // the loop never switches the (shared) model's mode
    }

    [Fact]
    public void Rows_that_stop_early_leave_the_reports()
    {
        using var model = Tiny(hCycles: 1, lCycles: 1, haltMaxSteps: 3);
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            // Row 0 is made to want to halt at once: a huge q_halt bias and zero weights.
            model.inner.q_head.weight.zero_();
            model.inner.q_head.bias![0] = 10;
            model.inner.q_head.bias![1] = -10;
        }
        var inputs = randint(1, 6, [2, 16], generator: new Generator(3), dtype: int64);
        var rec = new Recorder();
        var rows = Inference.Run(model, inputs, zeros(2, int64), HaltPolicy.QValues, observer: rec);
        Assert.All(rows, r => Assert.Equal(1, r.Segments));
        Assert.Equal(["1:Low1:2", "1:High1:2", "1:end:0,1"], rec.Events);
    }
}
