using DistTrain.Training.Protocol.V1;

namespace DistTrain.Training.Distributed;

/// <summary>What the Join streams tell the coordinator's loop: a worker came, went, or answered.</summary>
public abstract record WorkerEvent(WorkerSession Worker)
{
    public sealed record Joined(WorkerSession Worker) : WorkerEvent(Worker);

    public sealed record Left(WorkerSession Worker, string Reason) : WorkerEvent(Worker);

    public sealed record Answered(WorkerSession Worker, ShardResult Result, DateTime ReceivedUtc) : WorkerEvent(Worker);
}
