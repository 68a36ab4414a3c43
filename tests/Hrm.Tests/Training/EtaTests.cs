using Hrm.Training;

namespace Hrm.Tests.Training;

/// <summary>The progress line's ETA: the step budget at the current rate, cut short by max_minutes.</summary>
public class EtaTests
{
    [Fact]
    public void StepBudgetAloneGivesRemainingStepsOverRate()
    {
        var eta = TrainProgress.EstimateEta(1000, 2.0, TimeSpan.FromMinutes(5), null);
        Assert.Equal(500, eta.TotalSeconds, 6);
    }

    [Fact]
    public void MaxMinutesCutsTheEtaShort()
    {
        // 99,000 steps at 1.6 steps/s is 17 hours; a 60-minute run 10 minutes in ends in 50.
        var eta = TrainProgress.EstimateEta(99_000, 1.6, TimeSpan.FromMinutes(10), 60);
        Assert.Equal(50, eta.TotalMinutes, 6);
    }

    [Fact]
    public void NeverNegativeAndNeverOverflows()
    {
        Assert.Equal(TimeSpan.Zero, TrainProgress.EstimateEta(100, 1.0, TimeSpan.FromMinutes(70), 60));
        Assert.Equal(TimeSpan.Zero, TrainProgress.EstimateEta(-5, 1.0, TimeSpan.Zero, null));
        var stalled = TrainProgress.EstimateEta(long.MaxValue, 0.0, TimeSpan.Zero, null);
        Assert.True(stalled > TimeSpan.FromDays(10_000));
    }
}
