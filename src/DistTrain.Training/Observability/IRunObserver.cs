using DistTrain.Training.Loop;

namespace DistTrain.Training.Observability;

/// <summary>
/// What the scheduler tells whoever watches a run: the training loop's iterations, epochs and
/// checkpoints, and the shard executor's workers and shards. Metrics, the dashboard's run state,
/// the timeline and the straggler report implement it; every method has an empty default so each
/// overrides only what it uses. Calls come in order from the training loop's flow, one at a time.
/// </summary>
public interface IRunObserver
{
    void RunStarted(RunStart start)
    {
    }

    void IterationDone(in IterationDone iteration)
    {
    }

    void EpochDone(EpochDone epoch)
    {
    }

    void CheckpointWritten(in CheckpointWrite write)
    {
    }

    void RunEnded(bool completed)
    {
    }

    void WorkerJoined(string worker, DateTime at)
    {
    }

    void WorkerLeft(string worker, string reason, DateTime at)
    {
    }

    /// <summary>A parameter server registered (parameter shards: it owns a slice once the run starts).</summary>
    void ParameterServerJoined(string server, DateTime at)
    {
    }

    /// <summary>A parameter server went away; one that owned a slice ends the run.</summary>
    void ParameterServerLeft(string server, string reason, DateTime at)
    {
    }

    /// <summary>The shards of one call have all gone out (weights first to each worker that lacked them).</summary>
    void ShardsDispatched(in ShardsDispatched dispatch)
    {
    }

    void ShardSent(in ShardSent sent)
    {
    }

    /// <summary>Every answer to a task in flight, also a late copy or an earlier call's (not <see cref="ShardAnswer.Counted"/>).</summary>
    void ShardAnswered(in ShardAnswer answer)
    {
    }

    void ShardRejected(string worker, int shard, RejectionReason reason)
    {
    }

    /// <summary>A departed worker's shard goes to another worker.</summary>
    void ShardRedispatched(string worker, int shard)
    {
    }

    /// <summary>A late shard of <paramref name="worker"/> was also given to the idle <paramref name="helper"/>.</summary>
    void ShardSpeculated(string worker, string helper, int shard)
    {
    }
}
