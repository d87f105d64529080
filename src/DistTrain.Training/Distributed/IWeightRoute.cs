using DistTrain.Training.Loop;
using DistTrain.Training.Observability;
using DistTrain.Training.Protocol.V1;

namespace DistTrain.Training.Distributed;

/// <summary>
/// How the weights of a version reach the workers and how a shard's gradient comes back: through
/// the coordinator (<see cref="BroadcastRoute"/>) or through the owners of the parameter slices
/// (<see cref="SliceRoute"/>). The shard executor's scheduling is the same for both.
/// </summary>
public interface IWeightRoute
{
    /// <summary>Once per call, before its first task goes out: the weights the call computes with.</summary>
    void Prepare(ModelVersion model);

    /// <summary>Sends <paramref name="worker"/> what it lacks before a task of <paramref name="version"/>; returns the weight bytes sent.</summary>
    long BeforeTask(WorkerSession worker, long version);

    /// <summary>Takes a gradient result's gradient into <paramref name="outcome"/>; the reason it is refused otherwise.</summary>
    Rejection? AcceptGradient(ShardResult result, ShardOutcome outcome);
}

/// <summary>Why a result is refused: the kind for the observers, the words for the log.</summary>
public readonly record struct Rejection(RejectionReason Reason, string Problem);
