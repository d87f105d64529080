using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;

namespace DistTrain.Training.Observability;

/// <summary>The run begins (or resumes) at <paramref name="Epoch"/>, <paramref name="Iteration"/>, with the epochs already done.</summary>
public sealed record RunStart(TrainingConfiguration Configuration, int IterationsPerEpoch, int Epoch, int Iteration, IReadOnlyList<EpochMetrics> History, DateTime At);

/// <summary>
/// One optimizer step: the batch gathered from <see cref="Started"/> to <see cref="ShardsStarted"/>, the
/// shards computed until <see cref="ShardsDone"/>, the step taken until <see cref="StepDone"/>.
/// <see cref="Iteration"/> counts the iterations of the epoch done so far (from 1); <see cref="Samples"/> are
/// this iteration's, the sums run over the epoch.
/// </summary>
public readonly record struct IterationDone(
    int Epoch, int Iteration, int IterationsPerEpoch, long Version, int Samples,
    DateTime Started, DateTime ShardsStarted, DateTime ShardsDone, DateTime StepDone,
    double EpochLossSum, long EpochCorrect, long EpochSamples, double EpochSeconds);

/// <summary>An epoch's metrics, with when the test set's evaluation ran.</summary>
public sealed record EpochDone(EpochMetrics Metrics, int Epochs, DateTime EvaluationStarted, DateTime EvaluationDone);

public readonly record struct CheckpointWrite(long Version, DateTime Started, DateTime Done);

/// <summary>Why a shard result was refused and the shard recomputed.</summary>
public enum RejectionReason
{
    StaleVersion,
    WrongShard,
    WrongSize,
    NotFinite,

    /// <summary>Parameter shards: the worker could not reach a slice's owner.</summary>
    OwnerUnreachable,
}

/// <summary>Whether a task asks for a gradient (training) or for the loss only (evaluation).</summary>
public enum ShardWork
{
    Gradient,
    Evaluation,
}

public readonly record struct ShardsDispatched(ShardWork Work, long Version, int Shards, DateTime Started, DateTime Done);

/// <summary>A task sent to <see cref="Worker"/>: <see cref="WeightBytes"/> when the weights went with it, and the samples' bytes.</summary>
public readonly record struct ShardSent(string Worker, int Shard, ShardWork Work, long WeightBytes, long TaskBytes, DateTime At);

/// <summary>
/// A worker's answer: sent at <see cref="Sent"/> and received at <see cref="Received"/> by the
/// coordinator's clock, <see cref="ComputeMicros"/> by the worker's. <see cref="Counted"/> is false
/// for the slower copy of a speculated shard and for an earlier call's answer. With parameter shards
/// the worker also says how long it waited for the weights and how long its push took
/// (<see cref="WeightsWaitMicros"/>, <see cref="PushMicros"/>; 0 without), and when the first and
/// last blocks of the weights arrived, counted from the start of its push of the version before
/// (<see cref="WeightsFirstBlockMicros"/>, <see cref="WeightsLastBlockMicros"/>; 0 when unknown).
/// </summary>
public readonly record struct ShardAnswer(string Worker, int Shard, ShardWork Work, DateTime Sent, DateTime Received, long ComputeMicros, long ResultBytes, bool Counted,
    long WeightsWaitMicros = 0, long PushMicros = 0, long WeightsFirstBlockMicros = 0, long WeightsLastBlockMicros = 0)
{
    public double RoundTripSeconds => Math.Max(0, (Received - Sent).TotalSeconds);

    public double ComputeSeconds => ComputeMicros / 1e6;
}
