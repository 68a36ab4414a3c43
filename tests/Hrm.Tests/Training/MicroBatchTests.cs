using Hrm.Interop;
using Hrm.Model;
using Hrm.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Training;

/// <summary>Running a batch in row chunks (gradient accumulation) gives the same update as the whole batch.</summary>
public class MicroBatchTests
{
    [Fact]
    public void ChunkedStepsMatchWholeBatchSteps()
    {
        // emb-rope: 6 rows with a repeated puzzle identifier (sign-SGD sums its rows across chunks), exploration off.
        using var fixture = Model.ParityTests.LoadFixture("emb-rope");

        Dictionary<string, Tensor> Train(int? micro)
        {
            var model = Model.ParityTests.LoadModel(fixture, "weights.safetensors");
            using var state = new TrainState(model, new OptimizerSettings { Lr = 1e-3, LrWarmupSteps = 0, PuzzleEmbLr = 1e-2 }, 10, new Generator(0)) { MicroBatchSize = micro };
            for (int step = 0; step < 3; step++)
            {
                using var scope = NewDisposeScope();
                state.TrainBatch(fixture.Batch);
            }
            return ReferenceNames.PersistentState(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        }

        var whole = Train(null);
        var chunked = Train(4);   // chunks of 4 and 2 rows
        foreach (var (name, t) in whole)
        {
            double diff = (t - chunked[name]).abs().max().item<float>();
            Assert.True(diff < 1e-5, $"{name}: max |diff| {diff:E2}");
        }
    }
}
