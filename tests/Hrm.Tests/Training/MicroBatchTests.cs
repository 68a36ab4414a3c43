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
        var dir = TestPaths.ParityFixture("emb-rope");
        var config = ConfigJson.Load(Path.Combine(dir, "config.json"));
        var weights = StateDictIO.Load(Path.Combine(dir, "weights.safetensors"));
        var inputs = Hrm.Data.Npy.Read(Path.Combine(dir, "inputs.npy"));
        var labels = Hrm.Data.Npy.Read(Path.Combine(dir, "labels.npy"));
        var ids = Hrm.Data.Npy.Read(Path.Combine(dir, "puzzle_identifiers.npy"));

        Dictionary<string, Tensor> Train(int? micro)
        {
            var model = new ActModel(config);
            ReferenceNames.Import(model, weights, "weights");
            using var state = new TrainState(model, new OptimizerSettings { Lr = 1e-3, LrWarmupSteps = 0, PuzzleEmbLr = 1e-2 }, 10, new Generator(0)) { MicroBatchSize = micro };
            for (int step = 0; step < 3; step++)
            {
                using var scope = NewDisposeScope();
                using var batch = new PuzzleBatch(tensor(inputs.ToInt64(), inputs.Shape), tensor(labels.ToInt64(), labels.Shape), tensor(ids.ToInt64(), ids.Shape));
                state.TrainBatch(batch);
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
