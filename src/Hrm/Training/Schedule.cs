namespace Hrm.Training;

/// <summary>Linear warm-up then cosine decay to lr_min_ratio * base (the reference's cosine_schedule_with_warmup_lr_lambda).</summary>
public static class Schedule
{
    /// <param name="step">the update counter, 1 on the first update</param>
    public static double LearningRate(long step, double baseLr, long warmupSteps, long totalSteps, double minRatio) =>
        Cosine(step, baseLr, warmupSteps, (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps), minRatio);

    /// <summary>The same warm-up, then the cosine at <paramref name="progress"/> (0 at the start of the decay, 1 at its
    /// end, clamped, so past the budget it stays at the floor): for a decay that follows something other than steps
    /// (lr_schedule time: the wall-time budget).</summary>
    public static double LearningRateAt(long step, double baseLr, long warmupSteps, double progress, double minRatio) =>
        Cosine(step, baseLr, warmupSteps, Math.Clamp(progress, 0, 1), minRatio);

    // Not clamped: past its total steps the reference's cosine keeps going (it rises again), and the step schedule
    // matches it sample for sample.
    static double Cosine(long step, double baseLr, long warmupSteps, double progress, double minRatio)
    {
        if (step < warmupSteps) return baseLr * step / Math.Max(1, warmupSteps);
        return baseLr * (minRatio + Math.Max(0.0, (1 - minRatio) * 0.5 * (1.0 + Math.Cos(Math.PI * progress))));
    }
}
