namespace Hrm.Training;

/// <summary>Linear warm-up then cosine decay to lr_min_ratio * base (the reference's cosine_schedule_with_warmup_lr_lambda).</summary>
public static class Schedule
{
    /// <param name="step">the update counter, 1 on the first update</param>
    public static double LearningRate(long step, double baseLr, long warmupSteps, long totalSteps, double minRatio)
    {
        if (step < warmupSteps) return baseLr * step / Math.Max(1, warmupSteps);
        double progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        return baseLr * (minRatio + Math.Max(0.0, (1 - minRatio) * 0.5 * (1.0 + Math.Cos(Math.PI * progress))));
    }
}
