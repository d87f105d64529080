using DistTrain.Training.Observability;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Tests.Observability;

public class StragglerTests
{
    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(1, Percentiles.OfSorted(sorted, 0));
        Assert.Equal(2, Percentiles.OfSorted(sorted, 0.5));
        Assert.Equal(4, Percentiles.OfSorted(sorted, 0.95));
        Assert.Equal(95, Percentiles.OfSorted(Enumerable.Range(1, 100).Select(i => (double)i).ToArray(), 0.95));
        Assert.True(double.IsNaN(Percentiles.OfSorted([], 0.5)));
    }

    [Fact]
    public void With_two_workers_the_slow_one_is_named_and_the_fast_one_is_not()
    {
        Assert.Equal(["slow"], Stragglers.Find([("fast", 0.002), ("slow", 0.0035)], 1.5));
        Assert.Empty(Stragglers.Find([("fast", 0.002), ("slow", 0.0029)], 1.5));
    }

    [Fact]
    public void Among_many_workers_only_those_beyond_the_factor_are_named()
    {
        var medians = new[] { ("a", 0.002), ("b", 0.0021), ("c", 0.0019), ("d", 0.0031), ("e", 0.0030) };
        Assert.Equal(["d"], Stragglers.Find(medians, 1.5));
        Assert.Empty(Stragglers.Find([("only", 1.0)], 1.5));
    }

    [Fact]
    public void The_epoch_report_gives_min_median_p95_per_worker_and_names_the_straggler()
    {
        var logger = new RecordingLogger();
        var report = new StragglerReport(1.5, logger);
        for (var i = 0; i < 100; i++)
        {
            report.ShardAnswered(Events.Answer("worker-1", i * 10, 2 + i % 5 * 0.1, 1));
            report.ShardAnswered(Events.Answer("worker-2", i * 10, 6 + i % 5 * 0.1, 1, counted: i % 2 == 0));
        }
        report.EpochDone(Events.Epoch(1, 2, 1000));

        var summary = Assert.Single(logger.Entries, e => e.Level == LogLevel.Information).Message;
        Assert.Contains("worker-1 2.00/2.20/2.40 ms (100 shards, compute median 1.00 ms)", summary, StringComparison.Ordinal);
        Assert.Contains("worker-2 6.00/6.20/6.40 ms (100 shards, compute median 1.00 ms)", summary, StringComparison.Ordinal);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning).Message;
        Assert.Equal("Epoch 1 straggler: worker-2 (median round trip over 1.5x the median of the other workers)", warning);

        // The next epoch starts afresh: evenly matched workers, no straggler.
        for (var i = 0; i < 10; i++)
        {
            report.ShardAnswered(Events.Answer("worker-1", i * 10, 2, 1));
            report.ShardAnswered(Events.Answer("worker-2", i * 10, 2.2, 1));
        }
        report.EpochDone(Events.Epoch(2, 2, 2000));
        Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("(10 shards, compute median 1.00 ms)", logger.Entries[^1].Message, StringComparison.Ordinal);
    }
}
