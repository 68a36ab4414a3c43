using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>Optimiser and schedule hyper-parameters (the reference's PretrainConfig fields of the same names).</summary>
public sealed record OptimizerSettings
{
    public double Lr { get; init; } = 1e-4;
    public double LrMinRatio { get; init; } = 1.0;
    public long LrWarmupSteps { get; init; } = 2000;
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double PuzzleEmbLr { get; init; } = 1e-2;
    public double PuzzleEmbWeightDecay { get; init; } = 0.1;
}

/// <summary>
/// The state of a training run and its step (the reference's TrainState + train_batch): the ACT model, Adam-atan2 on
/// every parameter, sign-SGD on the puzzle table, the step counter driving the schedule, and the ACT carry that lives
/// across all batches. Each call of <see cref="TrainBatch"/> is one segment and one optimiser step.
/// </summary>
public sealed class TrainState : IDisposable
{
    public ActModel Model { get; }
    public AdamAtan2 Adam { get; }
    public SignSgd? PuzzleEmbOptimizer { get; }
    public OptimizerSettings Settings { get; }
    public long Step { get; set; }
    public long TotalSteps { get; set; }
    public ActCarry? Carry { get; private set; }
    /// <summary>Run each batch in row chunks of this size (gradient accumulation) to save memory; null = whole batch.</summary>
    public int? MicroBatchSize { get; set; }
    /// <summary>Drives halting exploration; seeded, so a run is reproducible.</summary>
    public Generator Generator { get; }

    public TrainState(ActModel model, OptimizerSettings settings, long totalSteps, Generator generator)
    {
        Model = model;
        Settings = settings;
        TotalSteps = totalSteps;
        Generator = generator;
        Adam = new AdamAtan2(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), settings.Lr, settings.Beta1, settings.Beta2, settings.WeightDecay);
        if (model.inner.puzzle_emb is PuzzleEmbedding pe)
            PuzzleEmbOptimizer = new SignSgd(pe, settings.PuzzleEmbLr, settings.PuzzleEmbWeightDecay);
    }

    public double LearningRate(double baseLr) =>
        Schedule.LearningRate(Step, baseLr, Settings.LrWarmupSteps, TotalSteps, Settings.LrMinRatio);

    /// <summary>
    /// One training segment on <paramref name="batch"/> (always a full batch of global_batch_size rows): forward with the
    /// carried state, backward of total / global_batch_size, sign-SGD then Adam-atan2 at the scheduled learning rates.
    /// Returns the metric sums (see <see cref="ActLoss.ToMetrics"/>), or null when the step budget is exhausted.
    /// </summary>
    public Tensor? TrainBatch(PuzzleBatch batch)
    {
        Step++;
        if (Step > TotalSteps) return null;
        Model.train();
        using var scope = NewDisposeScope();
        // The carry outlives every dispose scope of the caller: it is owned (and disposed) by this state.
        Carry ??= Model.InitialCarry(batch).Detach();

        // Rows are independent (attention never crosses rows, the loss is a sum over rows), so a batch can be run in
        // row chunks whose gradients add up to the full batch's: the same update with a fraction of the activation
        // memory. The loss is still divided by the full batch size, as the reference does.
        int chunk = MicroBatchSize is int mb && mb > 0 && mb < batch.Size ? mb : (int)batch.Size;
        var carries = new List<ActCarry>();
        Tensor? metrics = null;
        for (long start = 0; start < batch.Size; start += chunk)
        {
            long len = Math.Min(chunk, batch.Size - start);
            var (carryIn, part) = chunk == batch.Size ? (Carry, batch) : (Carry.Rows(start, len), batch.Rows(start, len));
            var (carryOut, output) = Model.forward(carryIn, part, Generator);
            var (total, sums) = ActLoss.Compute(carryOut, output, Model.Config.Loss);
            (total / batch.Size).backward();
            metrics = metrics is null ? sums : metrics + sums;
            carries.Add(carryOut);
        }
        var carry = carries.Count == 1 ? carries[0] : ActCarry.Concat(carries);

        if (PuzzleEmbOptimizer is not null)
        {
            PuzzleEmbOptimizer.LearningRate = LearningRate(Settings.PuzzleEmbLr);
            PuzzleEmbOptimizer.Step();
            PuzzleEmbOptimizer.ZeroGrad();
        }
        Adam.LearningRate = LearningRate(Settings.Lr);
        Adam.Step();
        Adam.ZeroGrad();

        Carry.Dispose();
        Carry = carry.Detach();
        return metrics!.MoveToOuterDisposeScope();
    }

    /// <summary>Replaces the carry (resume from a checkpoint).</summary>
    public void SetCarry(ActCarry carry)
    {
        Carry?.Dispose();
        Carry = carry.Detach();
    }

    /// <summary>Forgets the carry (e.g. after loading a checkpoint): the next batch starts every row afresh.</summary>
    public void ResetCarry()
    {
        Carry?.Dispose();
        Carry = null;
    }

    public void Dispose() => ResetCarry();
}
