using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistTrain.Training.Observability;

/// <summary>
/// The coordinator's instruments on the "DistTrain" meter, named as Prometheus expects them
/// (counters end in _total, units in the name). Recorded from the scheduler's events; gauges are
/// read when scraped. With nothing listening to the meter, every record is a no-op.
/// </summary>
public sealed class TrainingMetrics : IRunObserver
{
    public const string MeterName = "DistTrain";

    /// <summary>Shard times span sub-millisecond loopback answers to a hung worker's deadline.</summary>
    public static readonly IReadOnlyList<double> ShardSecondsBuckets =
        [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

    public static readonly IReadOnlyList<double> CheckpointSecondsBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly Counter<long> iterations;
    private readonly Counter<long> samples;
    private readonly Counter<long> epochs;
    private readonly Histogram<double> iterationSeconds;
    private readonly Histogram<double> computeSeconds;
    private readonly Histogram<double> roundTripSeconds;
    private readonly Counter<long> shardsRejected;
    private readonly Counter<long> shardsRedispatched;
    private readonly Counter<long> shardsSpeculated;
    private readonly Counter<long> workerJoins;
    private readonly Counter<long> workerLosses;
    private readonly Counter<long> parameterServerJoins;
    private readonly Counter<long> parameterServerLosses;
    private readonly Counter<long> checkpoints;
    private readonly Histogram<double> checkpointSeconds;
    private readonly Counter<long> sentBytes;
    private readonly Counter<long> receivedBytes;
    private readonly HashSet<string> connected = new(StringComparer.Ordinal);
    private int epoch;
    private double samplesPerSecond;
    private double trainLoss = double.NaN;
    private double trainAccuracy = double.NaN;
    private double testLoss = double.NaN;
    private double testAccuracy = double.NaN;

    public TrainingMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        iterations = meter.CreateCounter<long>("disttrain_iterations_total", description: "Optimizer steps taken");
        samples = meter.CreateCounter<long>("disttrain_samples_total", description: "Training samples whose gradients were applied");
        epochs = meter.CreateCounter<long>("disttrain_epochs_total", description: "Epochs completed (evaluated)");
        iterationSeconds = meter.CreateHistogram("disttrain_iteration_seconds", "s", "Time of one iteration: gather, shards, optimizer step",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ShardSecondsBuckets });
        computeSeconds = meter.CreateHistogram("disttrain_shard_compute_seconds", "s", "Compute time of a shard, as the worker reports it",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ShardSecondsBuckets });
        roundTripSeconds = meter.CreateHistogram("disttrain_shard_round_trip_seconds", "s", "From sending a shard to receiving its result, by the coordinator's clock",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ShardSecondsBuckets });
        shardsRejected = meter.CreateCounter<long>("disttrain_shards_rejected_total", description: "Shard results refused and recomputed, by reason");
        shardsRedispatched = meter.CreateCounter<long>("disttrain_shards_redispatched_total", description: "Shards of a departed worker given to another");
        shardsSpeculated = meter.CreateCounter<long>("disttrain_shards_speculated_total", description: "Late shards also given to an idle worker");
        workerJoins = meter.CreateCounter<long>("disttrain_worker_joins_total", description: "Workers that joined");
        workerLosses = meter.CreateCounter<long>("disttrain_worker_losses_total", description: "Workers that left or were dropped");
        parameterServerJoins = meter.CreateCounter<long>("disttrain_parameter_server_joins_total", description: "Parameter servers that joined (parameter shards)");
        parameterServerLosses = meter.CreateCounter<long>("disttrain_parameter_server_losses_total", description: "Parameter servers that left or were lost");
        checkpoints = meter.CreateCounter<long>("disttrain_checkpoints_total", description: "Checkpoints written");
        checkpointSeconds = meter.CreateHistogram("disttrain_checkpoint_write_seconds", "s", "Time to write a checkpoint",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CheckpointSecondsBuckets });
        sentBytes = meter.CreateCounter<long>("disttrain_sent_bytes_total", "By", "Tensor payload bytes sent to workers (weights, task samples), framing not counted");
        receivedBytes = meter.CreateCounter<long>("disttrain_received_bytes_total", "By", "Gradient payload bytes received from workers, framing not counted");
        meter.CreateObservableGauge("disttrain_workers", () => Volatile.Read(ref connectedCount), description: "Workers connected");
        meter.CreateObservableGauge("disttrain_epoch", () => Volatile.Read(ref epoch), description: "The epoch in progress (from 1)");
        meter.CreateObservableGauge("disttrain_samples_per_second", () => Volatile.Read(ref samplesPerSecond), description: "Training samples per second over the epoch so far");
        meter.CreateObservableGauge("disttrain_train_loss", () => Volatile.Read(ref trainLoss), description: "Mean training loss of the epoch so far");
        meter.CreateObservableGauge("disttrain_train_accuracy", () => Volatile.Read(ref trainAccuracy), description: "Training accuracy of the epoch so far (fraction)");
        meter.CreateObservableGauge("disttrain_test_loss", () => Volatile.Read(ref testLoss), description: "Test loss at the last evaluation");
        meter.CreateObservableGauge("disttrain_test_accuracy", () => Volatile.Read(ref testAccuracy), description: "Test accuracy at the last evaluation (fraction)");
    }

    private int connectedCount;

    public void RunStarted(RunStart start)
    {
        Volatile.Write(ref epoch, start.Epoch);
    }

    public void IterationDone(in IterationDone it)
    {
        iterations.Add(1);
        samples.Add(it.Samples);
        iterationSeconds.Record((it.StepDone - it.Started).TotalSeconds);
        Volatile.Write(ref epoch, it.Epoch);
        if (it.EpochSamples > 0)
        {
            Volatile.Write(ref trainLoss, it.EpochLossSum / it.EpochSamples);
            Volatile.Write(ref trainAccuracy, (double)it.EpochCorrect / it.EpochSamples);
        }
        if (it.EpochSeconds > 0)
        {
            Volatile.Write(ref samplesPerSecond, it.EpochSamples / it.EpochSeconds);
        }
    }

    public void EpochDone(EpochDone done)
    {
        epochs.Add(1);
        Volatile.Write(ref testLoss, done.Metrics.TestLoss);
        Volatile.Write(ref testAccuracy, done.Metrics.TestAccuracy);
    }

    public void CheckpointWritten(in CheckpointWrite write)
    {
        checkpoints.Add(1);
        checkpointSeconds.Record((write.Done - write.Started).TotalSeconds);
    }

    public void WorkerJoined(string worker, DateTime at)
    {
        workerJoins.Add(1);
        lock (connected)
        {
            connected.Add(worker);
            Volatile.Write(ref connectedCount, connected.Count);
        }
    }

    public void WorkerLeft(string worker, string reason, DateTime at)
    {
        workerLosses.Add(1);
        lock (connected)
        {
            connected.Remove(worker);
            Volatile.Write(ref connectedCount, connected.Count);
        }
    }

    public void ParameterServerJoined(string server, DateTime at) => parameterServerJoins.Add(1);

    public void ParameterServerLeft(string server, string reason, DateTime at) => parameterServerLosses.Add(1);

    public void ShardSent(in ShardSent sent)
    {
        if (sent.WeightBytes > 0)
        {
            sentBytes.Add(sent.WeightBytes, new KeyValuePair<string, object?>("kind", "weights"));
        }
        sentBytes.Add(sent.TaskBytes, new KeyValuePair<string, object?>("kind", "samples"));
    }

    public void ShardAnswered(in ShardAnswer answer)
    {
        var tags = new TagList { { "worker", answer.Worker }, { "work", answer.Work == ShardWork.Gradient ? "gradient" : "evaluation" } };
        computeSeconds.Record(answer.ComputeSeconds, tags);
        roundTripSeconds.Record(answer.RoundTripSeconds, tags);
        if (answer.ResultBytes > 0)
        {
            receivedBytes.Add(answer.ResultBytes);
        }
    }

    public void ShardRejected(string worker, int shard, RejectionReason reason) =>
        shardsRejected.Add(1, new KeyValuePair<string, object?>("reason", ReasonName(reason)));

    public void ShardRedispatched(string worker, int shard) => shardsRedispatched.Add(1);

    public void ShardSpeculated(string worker, string helper, int shard) => shardsSpeculated.Add(1);

    private static string ReasonName(RejectionReason reason) => reason switch
    {
        RejectionReason.StaleVersion => "stale_version",
        RejectionReason.WrongShard => "wrong_shard",
        RejectionReason.WrongSize => "wrong_size",
        RejectionReason.OwnerUnreachable => "owner_unreachable",
        _ => "not_finite",
    };
}
