using System.Diagnostics;
using DistTrain.Core;
using DistTrain.Data;
using DistTrain.Training.Protocol.V1;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.Observability;
using DistTrain.Training.Protocol;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Distributed;

/// <summary>
/// Computes shards on the workers. Each call dispatches every shard to the live worker with the
/// fewest in flight (weights first when that worker lacks this version), collects one result per
/// shard into that shard's own slot, and re-dispatches the shards of a worker that leaves, hangs
/// past the deadline or answers with a bad result. Only this loop touches its state; the Join
/// streams talk to it through <see cref="WorkerPool.Events"/>; what happens is told to an <see cref="IRunObserver"/>.
/// </summary>
public sealed class RemoteShardExecutor(WorkerPool pool, int parameterCount, WirePrecisionKind precision, FaultSettings settings, ILogger logger,
    IRunObserver? observer = null, IWeightRoute? route = null) : IShardExecutor
{
    private readonly IRunObserver watch = observer ?? RunObservers.None;
    private readonly IWeightRoute weights = route ?? new BroadcastRoute(parameterCount, precision);
    private const int MaxRejectionsBeforeDrop = 3;
    /// <summary>Round trips seen before a shard counts as late: a few iterations' worth.</summary>
    private const int MinimumHistoryForSpeculation = 16;
    private readonly List<WorkerSession> live = [];
    private readonly Dictionary<ulong, InFlight> inFlight = [];
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private ulong nextTaskId;
    private long callId;

    public int Workers => Math.Max(1, live.Count);

    /// <summary>Blocks until <paramref name="count"/> workers are connected, logging while it waits.</summary>
    public async Task WaitForWorkersAsync(int count, CancellationToken cancellationToken)
    {
        var lastLog = Stopwatch.StartNew();
        logger.LogInformation(count == 1 ? "Waiting for {Count} worker to join" : "Waiting for {Count} workers to join", count);
        while (live.Count < count)
        {
            await NextEventAsync(TimeSpan.FromSeconds(5), cancellationToken, null, 0);
            if (live.Count < count && lastLog.Elapsed > TimeSpan.FromSeconds(5))
            {
                logger.LogInformation("Waiting for workers: {Live} of {Count} connected", live.Count, count);
                lastLog.Restart();
            }
        }
    }

    public Task ComputeGradientsAsync(ModelVersion model, BatchView batch, IReadOnlyList<Shard> shards, ShardOutcome[] outcomes, CancellationToken cancellationToken) =>
        RunAsync(TaskKind.Gradient, model, batch, shards, (shard, result) =>
        {
            var outcome = outcomes[shard];
            if (weights.AcceptGradient(result, outcome) is { } refused)
            {
                return refused;
            }
            if (!double.IsFinite(result.LossSum))
            {
                outcome.Release();
                return new(RejectionReason.NotFinite, "gradient or loss with NaN or infinity");
            }
            outcome.Statistics = new ShardStatistics(result.LossSum, (int)result.Correct, (int)result.SampleCount);
            return null;
        }, cancellationToken);

    public Task EvaluateAsync(ModelVersion model, BatchView data, IReadOnlyList<Shard> chunks, ShardStatistics[] results, CancellationToken cancellationToken) =>
        RunAsync(TaskKind.Evaluate, model, data, chunks, (chunk, result) =>
        {
            if (SliceRoute.Refusal(result) is { } refused)
            {
                return refused;
            }
            if (!double.IsFinite(result.LossSum) || result.Correct > result.SampleCount)
            {
                return new(RejectionReason.NotFinite, "evaluation result with NaN or more correct than samples");
            }
            results[chunk] = new ShardStatistics(result.LossSum, (int)result.Correct, (int)result.SampleCount);
            return null;
        }, cancellationToken);

    /// <summary>Tells every worker the run is over and closes their streams.</summary>
    public void Shutdown(string reason)
    {
        foreach (var worker in pool.Snapshot())
        {
            worker.Send(new CoordinatorMessage { Shutdown = new Shutdown { Reason = reason } });
            worker.Close();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task RunAsync(TaskKind kind, ModelVersion model, BatchView batch, IReadOnlyList<Shard> shards,
        Func<int, ShardResult, Rejection?> accept, CancellationToken cancellationToken)
    {
        weights.Prepare(model);
        var call = ++callId;
        var pending = new Queue<int>(Enumerable.Range(0, shards.Count));
        var done = new bool[shards.Count];
        var speculated = new bool[shards.Count];
        var remaining = shards.Count;
        var waitingSince = Stopwatch.StartNew();
        // When a shard of this call counts as late, per worker holding it: worked out once per call.
        var lateAfter = new Dictionary<WorkerSession, TimeSpan?>();
        var dispatchStarted = DateTime.UtcNow;

        while (remaining > 0)
        {
            Dispatch(call, kind, model.Version, batch, shards, pending, done, speculated);
            if (dispatchStarted != default && pending.Count == 0)
            {
                watch.ShardsDispatched(new ShardsDispatched(WorkOf(kind), model.Version, shards.Count, dispatchStarted, DateTime.UtcNow));
                dispatchStarted = default;
            }
            var wait = PollInterval;
            if (settings.Speculate && pending.Count == 0)
            {
                wait = Speculate(call, kind, model.Version, batch, shards, done, speculated, lateAfter);
            }
            if (live.Count == 0 && waitingSince.Elapsed > TimeSpan.FromSeconds(5))
            {
                logger.LogWarning("No worker connected; waiting for one to join ({Remaining} shards of version {Version} to compute)", remaining, model.Version);
                waitingSince.Restart();
            }
            var answered = await NextEventAsync(wait, cancellationToken, pending, call);
            // Decoded, lent or discarded: by the end of this pass its gradient bytes are not read again.
            using var received = new ReceivedGradient(answered?.Result);
            if (answered is { } a && inFlight.Remove(a.Result.TaskId, out var task))
            {
                a.Worker.Outstanding--;
                watch.ShardAnswered(new ShardAnswer(a.Worker.Name, task.Shard, task.Work, task.SentUtc, a.ReceivedUtc, (long)a.Result.ComputeMicros,
                    a.Result.Gradient.Length, Counted: task.Call == call && !done[task.Shard],
                    WeightsWaitMicros: (long)a.Result.WeightsWaitMicros, PushMicros: (long)a.Result.PushMicros,
                    WeightsFirstBlockMicros: a.Result.WeightsFirstBlockMicros, WeightsLastBlockMicros: a.Result.WeightsLastBlockMicros));
                if (task.Call != call || done[task.Shard])
                {
                    // An earlier iteration's task, or the slower copy of a speculated shard: the bits are the same, the first answer won.
                    continue;
                }
                var problem = a.Result.Version != (ulong)model.Version ? new(RejectionReason.StaleVersion, $"result for weight version {a.Result.Version}, expected {model.Version}")
                    : a.Result.ShardIndex != (uint)task.Shard || a.Result.SampleCount != (uint)shards[task.Shard].Count ? new Rejection(RejectionReason.WrongShard, "result for another shard")
                    : accept(task.Shard, a.Result);
                if (problem is null)
                {
                    a.Worker.Proven = true;
                    done[task.Shard] = true;
                    remaining--;
                    var roundTrip = (a.ReceivedUtc - task.SentUtc).TotalSeconds;
                    a.Worker.RecentRoundTrips(kind).Add(roundTrip);
                }
                else
                {
                    Reject(a.Worker, task.Shard, problem.Value, pending, call);
                }
            }
            else if (answered is { } stale)
            {
                logger.LogDebug("Discarded an answer from {Worker} for unknown task {Task}", stale.Worker.Name, stale.Result.TaskId);
            }
            ExpireSilentWorkers(pending, call);
        }
    }

    /// <summary>
    /// When every shard is out and a proven worker sits idle, a shard that is late goes to that
    /// worker too; the first answer wins (the bits cannot differ). Late means older than the
    /// speculation factor times the 95th percentile of the other workers' recent round trips:
    /// what the shard would have cost elsewhere. Shards of a healthy run are almost never that
    /// late, so no work is duplicated without a fault, while a worker slower than the rest has
    /// its shards picked up.
    /// </summary>
    /// <returns>How long to wait before checking again: until the next shard would count as late.</returns>
    private TimeSpan Speculate(long call, TaskKind kind, long version, BatchView batch, IReadOnlyList<Shard> shards, bool[] done, bool[] speculated,
        Dictionary<WorkerSession, TimeSpan?> thresholds)
    {
        var idle = live.Where(w => w.Outstanding == 0 && w.Proven).ToList();
        if (idle.Count == 0)
        {
            return PollInterval;
        }
        TimeSpan? Threshold(WorkerSession holder)
        {
            if (!thresholds.TryGetValue(holder, out var threshold))
            {
                var elsewhere = RecentDurations.Merge(live.Where(w => w != holder && w.Proven).Select(w => w.RecentRoundTrips(kind)));
                threshold = elsewhere.Count < MinimumHistoryForSpeculation
                    ? null
                    : TimeSpan.FromSeconds(Math.Max(settings.SpeculationFactor * elsewhere.Quantile(0.95), 0.005));
                thresholds[holder] = threshold;
            }
            return threshold;
        }
        var now = DateTime.UtcNow;
        var wait = PollInterval;
        foreach (var task in inFlight.Values.Where(t => t.Call == call && !done[t.Shard] && !speculated[t.Shard]).OrderBy(t => t.SentUtc).ToList())
        {
            if (Threshold(task.Worker) is not { } threshold)
            {
                continue;
            }
            var age = now - task.SentUtc;
            if (age <= threshold)
            {
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks, (threshold - age).Ticks + TimeSpan.TicksPerMillisecond));
                continue;
            }
            var helper = idle.FirstOrDefault(w => w != task.Worker);
            if (helper is null)
            {
                break;
            }
            idle.Remove(helper);
            speculated[task.Shard] = true;
            watch.ShardSpeculated(task.Worker.Name, helper.Name, task.Shard);
            logger.LogDebug("Shard {Shard} is late on {Worker}; also sent to {Helper}", task.Shard, task.Worker.Name, helper.Name);
            Send(call, kind, version, batch, shards, task.Shard, helper);
        }
        return wait;
    }

    private void Dispatch(long call, TaskKind kind, long version, BatchView batch, IReadOnlyList<Shard> shards, Queue<int> pending, bool[] done, bool[] speculated)
    {
        while (pending.Count > 0)
        {
            // A worker on probation takes one shard at a time.
            var worker = live.Where(w => w.Proven || w.Outstanding == 0).MinBy(w => w.Outstanding);
            if (worker is null)
            {
                return;
            }
            var shard = pending.Dequeue();
            Send(call, kind, version, batch, shards, shard, worker);
            if (!worker.Proven && !done[shard] && !speculated[shard] && live.Where(w => w.Proven).MinBy(w => w.Outstanding) is { } proven)
            {
                // Its result is not trusted to come: a proven worker computes the shard too; the first answer wins.
                speculated[shard] = true;
                watch.ShardSpeculated(worker.Name, proven.Name, shard);
                Send(call, kind, version, batch, shards, shard, proven);
            }
        }
    }

    private void Send(long call, TaskKind kind, long version, BatchView batch, IReadOnlyList<Shard> shards, int index, WorkerSession worker)
    {
        var shard = shards[index];
        var weightBytes = weights.BeforeTask(worker, version);
        var id = ++nextTaskId;
        worker.Send(new CoordinatorMessage
        {
            Task = new ShardTask
            {
                TaskId = id,
                Version = (ulong)version,
                Kind = kind,
                ShardIndex = (uint)index,
                SampleCount = (uint)shard.Count,
                Pixels = UnsafeByteOperations.UnsafeWrap(batch.PixelsOf(shard)),
                Labels = UnsafeByteOperations.UnsafeWrap(batch.LabelsOf(shard)),
            },
        });
        worker.Outstanding++;
        var sent = DateTime.UtcNow;
        inFlight[id] = new InFlight(index, worker, sent, call, WorkOf(kind));
        watch.ShardSent(new ShardSent(worker.Name, index, WorkOf(kind), weightBytes, shard.Count * (batch.PixelsPerSample + 1L), sent));
    }

    /// <summary>Waits for one event; returns it when it is an answer, after applying joins and leaves.</summary>
    private async Task<WorkerEvent.Answered?> NextEventAsync(TimeSpan wait, CancellationToken cancellationToken, Queue<int>? pending, long call)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        WorkerEvent e;
        try
        {
            e = await pool.Events.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        switch (e)
        {
            case WorkerEvent.Joined joined:
                live.Add(joined.Worker);
                watch.WorkerJoined(joined.Worker.Name, DateTime.UtcNow);
                return null;
            case WorkerEvent.Left left:
                live.Remove(left.Worker);
                watch.WorkerLeft(left.Worker.Name, left.Reason, DateTime.UtcNow);
                Requeue(left.Worker, pending, call);
                return null;
            default:
                return (WorkerEvent.Answered)e;
        }
    }

    private void Reject(WorkerSession worker, int shard, Rejection rejection, Queue<int> pending, long call)
    {
        worker.Rejections++;
        logger.LogWarning("Rejected a result from worker {Worker} for shard {Shard}: {Problem}; the shard is recomputed", worker.Name, shard, rejection.Problem);
        watch.ShardRejected(worker.Name, shard, rejection.Reason);
        pending.Enqueue(shard);
        if (worker.Rejections >= MaxRejectionsBeforeDrop)
        {
            pool.Remove(worker, $"{worker.Rejections} bad results");
            live.Remove(worker);
            Requeue(worker, pending, call);
        }
    }

    /// <summary>Takes a departed worker's tasks back; this call's go to the others.</summary>
    private void Requeue(WorkerSession worker, Queue<int>? pending, long call)
    {
        foreach (var (id, task) in inFlight.Where(p => p.Value.Worker == worker).ToList())
        {
            inFlight.Remove(id);
            // A shard another worker is computing too (a speculated copy) is not sent out a third time.
            if (task.Call == call && pending is not null && !pending.Contains(task.Shard)
                && !inFlight.Values.Any(t => t.Call == call && t.Shard == task.Shard))
            {
                pending.Enqueue(task.Shard);
                logger.LogInformation("Shard {Shard} of worker {Worker} goes to another worker", task.Shard, worker.Name);
                watch.ShardRedispatched(worker.Name, task.Shard);
            }
        }
    }

    /// <summary>
    /// A worker that has sent nothing (not even a heartbeat) for the heartbeat timeout, or has
    /// held a shard past the task deadline, is dropped and its shards recomputed elsewhere.
    /// </summary>
    private void ExpireSilentWorkers(Queue<int> pending, long call)
    {
        var now = DateTime.UtcNow;
        foreach (var worker in live.ToList())
        {
            var silent = now - worker.LastSeenUtc;
            string? reason = silent > settings.HeartbeatTimeout ? $"silent for {silent.TotalSeconds:0.0} s (heartbeat timeout {settings.HeartbeatTimeout.TotalSeconds:0.#} s)"
                : inFlight.Values.Any(t => t.Worker == worker && now - t.SentUtc > settings.TaskDeadline) ? $"no answer within the task deadline of {settings.TaskDeadline.TotalSeconds:0.#} s"
                : null;
            if (reason is not null)
            {
                pool.Remove(worker, reason);
                live.Remove(worker);
                Requeue(worker, pending, call);
            }
        }
    }

    private static ShardWork WorkOf(TaskKind kind) => kind == TaskKind.Evaluate ? ShardWork.Evaluation : ShardWork.Gradient;

    private readonly record struct InFlight(int Shard, WorkerSession Worker, DateTime SentUtc, long Call, ShardWork Work);


    /// <summary>Gives a received result's pooled gradient bytes back (a no-op when they were lent to an outcome).</summary>
    private readonly struct ReceivedGradient(ShardResult? result) : IDisposable
    {
        public void Dispose()
        {
            if (result is not null)
            {
                ReceivedTensor.Release(result.Gradient);
            }
        }
    }
}
