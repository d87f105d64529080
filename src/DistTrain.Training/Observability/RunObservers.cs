namespace DistTrain.Training.Observability;

/// <summary>Hands every event to each observer in turn; <see cref="None"/> when nobody watches.</summary>
public sealed class RunObservers(IReadOnlyList<IRunObserver> observers) : IRunObserver
{
    public static RunObservers None { get; } = new([]);

    public int Count => observers.Count;

    public void RunStarted(RunStart start)
    {
        foreach (var o in observers)
        {
            o.RunStarted(start);
        }
    }

    public void IterationDone(in IterationDone iteration)
    {
        foreach (var o in observers)
        {
            o.IterationDone(iteration);
        }
    }

    public void EpochDone(EpochDone epoch)
    {
        foreach (var o in observers)
        {
            o.EpochDone(epoch);
        }
    }

    public void CheckpointWritten(in CheckpointWrite write)
    {
        foreach (var o in observers)
        {
            o.CheckpointWritten(write);
        }
    }

    public void RunEnded(bool completed)
    {
        foreach (var o in observers)
        {
            o.RunEnded(completed);
        }
    }

    public void WorkerJoined(string worker, DateTime at)
    {
        foreach (var o in observers)
        {
            o.WorkerJoined(worker, at);
        }
    }

    public void WorkerLeft(string worker, string reason, DateTime at)
    {
        foreach (var o in observers)
        {
            o.WorkerLeft(worker, reason, at);
        }
    }

    public void ParameterServerJoined(string server, DateTime at)
    {
        foreach (var o in observers)
        {
            o.ParameterServerJoined(server, at);
        }
    }

    public void ParameterServerLeft(string server, string reason, DateTime at)
    {
        foreach (var o in observers)
        {
            o.ParameterServerLeft(server, reason, at);
        }
    }

    public void ShardsDispatched(in ShardsDispatched dispatch)
    {
        foreach (var o in observers)
        {
            o.ShardsDispatched(dispatch);
        }
    }

    public void ShardSent(in ShardSent sent)
    {
        foreach (var o in observers)
        {
            o.ShardSent(sent);
        }
    }

    public void ShardAnswered(in ShardAnswer answer)
    {
        foreach (var o in observers)
        {
            o.ShardAnswered(answer);
        }
    }

    public void ShardRejected(string worker, int shard, RejectionReason reason)
    {
        foreach (var o in observers)
        {
            o.ShardRejected(worker, shard, reason);
        }
    }

    public void ShardRedispatched(string worker, int shard)
    {
        foreach (var o in observers)
        {
            o.ShardRedispatched(worker, shard);
        }
    }

    public void ShardSpeculated(string worker, string helper, int shard)
    {
        foreach (var o in observers)
        {
            o.ShardSpeculated(worker, helper, shard);
        }
    }
}
