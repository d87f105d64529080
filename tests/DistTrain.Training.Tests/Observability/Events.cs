using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.Observability;

namespace DistTrain.Training.Tests.Observability;

/// <summary>Scheduler events as a run of a given shape would raise them, for the observers under test.</summary>
internal static class Events
{
    public static readonly DateTime Origin = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    public static RunStart Start(int epochs = 2, int perEpoch = 10, int batch = 128) =>
        new(TrainingConfiguration.From(new TrainingOptions { Epochs = epochs, BatchSize = batch, Shards = 2 }), perEpoch, 1, 0, [], Origin);

    public static ShardAnswer Answer(string worker, double sentMs, double roundTripMs, double computeMs, int shard = 0, bool counted = true) =>
        new(worker, shard, ShardWork.Gradient, Origin.AddMilliseconds(sentMs), Origin.AddMilliseconds(sentMs + roundTripMs),
            (long)(computeMs * 1000), 1000, counted);

    public static IterationDone Iteration(int epoch, int iteration, int perEpoch, double startMs, double lossSum = 10, long samples = 128) =>
        new(epoch, iteration, perEpoch, (epoch - 1L) * perEpoch + iteration, (int)samples,
            Origin.AddMilliseconds(startMs), Origin.AddMilliseconds(startMs + 0.1), Origin.AddMilliseconds(startMs + 2), Origin.AddMilliseconds(startMs + 2.5),
            lossSum * iteration, 100 * iteration, samples * iteration, (startMs + 2.5) / 1000);

    public static EpochDone Epoch(int epoch, int epochs, double atMs) =>
        new(new EpochMetrics(epoch, 0.3, 0.9, 0.2, 0.95, 1.5, 40000), epochs, Origin.AddMilliseconds(atMs), Origin.AddMilliseconds(atMs + 30));
}
