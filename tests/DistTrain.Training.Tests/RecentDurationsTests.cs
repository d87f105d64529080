using DistTrain.Training.Distributed;

namespace DistTrain.Training.Tests;

public sealed class RecentDurationsTests
{
    [Fact]
    public void Quantiles_are_nearest_rank_over_the_last_entries_only()
    {
        var durations = new RecentDurations(capacity: 100);
        Assert.Equal(0, durations.Quantile(0.95));
        for (var i = 1; i <= 100; i++)
        {
            durations.Add(i);
        }
        Assert.Equal(95, durations.Quantile(0.95));
        Assert.Equal(50, durations.Quantile(0.5));
        Assert.Equal(100, durations.Quantile(1));
        // The oldest fifty make way for fifty slow ones: the tail moves up.
        for (var i = 0; i < 50; i++)
        {
            durations.Add(1000);
        }
        Assert.Equal(100, durations.Count);
        Assert.Equal(1000, durations.Quantile(0.95));
        Assert.Equal(100, durations.Quantile(0.5));
    }

    [Fact]
    public void Merged_durations_hold_every_part()
    {
        var fast = new RecentDurations();
        var slow = new RecentDurations();
        for (var i = 0; i < 19; i++)
        {
            fast.Add(0.01);
        }
        slow.Add(1);
        var merged = RecentDurations.Merge([fast, slow]);
        Assert.Equal(20, merged.Count);
        Assert.Equal(0.01, merged.Quantile(0.95));
        Assert.Equal(1, merged.Quantile(1));
        Assert.Equal(0, RecentDurations.Merge([]).Count);
    }
}
