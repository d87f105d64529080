using System.Diagnostics.Metrics;
using DistTrain.Training.Observability;
using Microsoft.Extensions.DependencyInjection;

namespace DistTrain.Training.Tests.Observability;

public class TrainingMetricsTests
{
    [Fact]
    public void Events_become_measurements_on_the_DistTrain_meter()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var measurements = new List<(string Name, double Value, string Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == TrainingMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Add((i.Name, v, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Add((i.Name, v, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => measurements.Add((i.Name, v, "")));
        listener.Start();

        var metrics = new TrainingMetrics(services.GetRequiredService<IMeterFactory>());
        metrics.WorkerJoined("worker-1", Events.Origin);
        metrics.WorkerJoined("worker-2", Events.Origin);
        metrics.RunStarted(Events.Start());
        metrics.ShardSent(new ShardSent("worker-1", 0, ShardWork.Gradient, 4000, 785 * 64, Events.Origin));
        metrics.ShardAnswered(Events.Answer("worker-1", 0, 2.5, 1.25));
        metrics.IterationDone(Events.Iteration(1, 1, 10, 0));
        metrics.IterationDone(Events.Iteration(1, 2, 10, 3));
        metrics.ShardRejected("worker-2", 1, RejectionReason.StaleVersion);
        metrics.WorkerLeft("worker-2", "gone", Events.Origin);
        listener.RecordObservableInstruments();

        Assert.Equal(256, measurements.Where(m => m.Name == "disttrain_samples_total").Sum(m => m.Value));
        Assert.Equal(2, measurements.Count(m => m.Name == "disttrain_iterations_total"));
        Assert.Contains(("disttrain_shard_round_trip_seconds", 0.0025, "worker=worker-1,work=gradient"), measurements.Select(m => (m.Name, Math.Round(m.Value, 6), m.Tags)));
        Assert.Contains(("disttrain_shard_compute_seconds", 0.00125, "worker=worker-1,work=gradient"), measurements.Select(m => (m.Name, Math.Round(m.Value, 6), m.Tags)));
        Assert.Contains(("disttrain_sent_bytes_total", 4000.0, "kind=weights"), measurements.Select(m => (m.Name, m.Value, m.Tags)));
        Assert.Contains(("disttrain_shards_rejected_total", 1.0, "reason=stale_version"), measurements.Select(m => (m.Name, m.Value, m.Tags)));
        Assert.Equal(1, measurements.Last(m => m.Name == "disttrain_workers").Value);
        Assert.Equal(2, measurements.Where(m => m.Name == "disttrain_worker_joins_total").Sum(m => m.Value));
    }
}
