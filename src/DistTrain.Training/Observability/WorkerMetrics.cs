using System.Diagnostics.Metrics;

namespace DistTrain.Training.Observability;

/// <summary>A worker's own instruments on the "DistTrain" meter: shards and samples computed, and compute time.</summary>
public sealed class WorkerMetrics
{
    private readonly Counter<long> shards;
    private readonly Counter<long> samples;
    private readonly Histogram<double> computeSeconds;

    public WorkerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(TrainingMetrics.MeterName);
        shards = meter.CreateCounter<long>("disttrain_worker_shards_total", description: "Shards this worker computed");
        samples = meter.CreateCounter<long>("disttrain_worker_samples_total", description: "Samples in the shards this worker computed");
        computeSeconds = meter.CreateHistogram("disttrain_worker_compute_seconds", "s", "Compute time of a shard on this worker",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TrainingMetrics.ShardSecondsBuckets });
    }

    public void ShardComputed(ShardWork work, int sampleCount, TimeSpan compute)
    {
        var tag = new KeyValuePair<string, object?>("work", work == ShardWork.Gradient ? "gradient" : "evaluation");
        shards.Add(1, tag);
        samples.Add(sampleCount, tag);
        computeSeconds.Record(compute.TotalSeconds, tag);
    }
}
