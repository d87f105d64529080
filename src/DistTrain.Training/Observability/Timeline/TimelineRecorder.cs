namespace DistTrain.Training.Observability.Timeline;

/// <summary>
/// The run as a Chrome trace (<c>--timeline FILE</c>). Process "coordinator" has the training loop's
/// lane (gather batch, broadcast, waiting for shards, optimizer step, evaluation, checkpoint) and a
/// lane of events (joins, leaves, rejections, speculation); process "workers" has one lane per
/// worker (task in transit, compute, sending the result; with parameter shards also waiting for
/// the weights and pushing the gradient, as the worker timed them; gaps are idle) and, with
/// parameter shards, a lane under it of the next version's weights arriving from the owners.
/// </summary>
/// <remarks>
/// Worker lanes are derived from the coordinator's clock: a shard left at S and its result arrived
/// at R; the worker reported C µs of compute. The result's transfer is estimated as half the
/// smallest (R - S - C) seen from that worker (the no-queue case, split evenly between the two
/// directions, which carry messages of the same size); compute is placed just before it.
/// Bounded: the first <c>iterationsPerEpoch</c> iterations of each epoch are recorded (evaluation,
/// checkpoints and events always), and nothing more once <c>maxEvents</c> are written.
/// </remarks>
public sealed class TimelineRecorder : IRunObserver, IDisposable
{
    private const int CoordinatorPid = 1;
    private const int WorkersPid = 2;
    private const int LoopLane = 1;
    private const int EventsLane = 2;
    // A worker's weights lane is its lane's number plus this; sorted beside it (same sort index, higher tid).
    private const int WeightsLaneOffset = 100_000;

    private readonly TraceEventWriter trace;
    private readonly int iterationsPerEpoch;
    private readonly long maxEvents;
    private readonly DateTime origin;
    private readonly Lock gate = new();
    private readonly Dictionary<string, WorkerLane> lanes = new(StringComparer.Ordinal);
    private ShardsDispatched? lastDispatch;
    private bool recording = true;
    private bool full;
    private bool disposed;

    public TimelineRecorder(Stream output, int iterationsPerEpoch, long maxEvents, DateTime origin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterationsPerEpoch);
        trace = new TraceEventWriter(output);
        this.iterationsPerEpoch = iterationsPerEpoch;
        this.maxEvents = maxEvents;
        this.origin = origin;
        trace.ProcessName(CoordinatorPid, "coordinator", 0);
        trace.ThreadName(CoordinatorPid, LoopLane, "training loop", 0);
        trace.ThreadName(CoordinatorPid, EventsLane, "events", 1);
        trace.ProcessName(WorkersPid, "workers", 1);
    }

    /// <summary>Events written, metadata included.</summary>
    public long Events
    {
        get
        {
            lock (gate)
            {
                return trace.Count;
            }
        }
    }

    public void RunStarted(RunStart start) => recording = start.Iteration < iterationsPerEpoch;

    public void ShardsDispatched(in ShardsDispatched dispatch)
    {
        if (dispatch.Work == ShardWork.Gradient)
        {
            lastDispatch = dispatch;
        }
    }

    public void IterationDone(in IterationDone it)
    {
        var dispatch = lastDispatch;
        lastDispatch = null;
        if (!Open())
        {
            return;
        }
        lock (gate)
        {
            Slice("gather batch", "loop", it.Started, it.ShardsStarted);
            if (dispatch is { } d && d.Version == it.Version - 1)
            {
                Slice("broadcast", "loop", d.Started, d.Done, [("version", d.Version), ("shards", d.Shards)]);
                Slice("waiting for shards", "loop", d.Done, it.ShardsDone);
            }
            else
            {
                Slice("waiting for shards", "loop", it.ShardsStarted, it.ShardsDone);
            }
            Slice("optimizer step", "loop", it.ShardsDone, it.StepDone, [("iteration", it.Iteration), ("epoch", it.Epoch)]);
            if (it.EpochSamples > 0)
            {
                trace.Counter("running loss", CoordinatorPid, Micros(it.StepDone), "loss", it.EpochLossSum / it.EpochSamples);
            }
        }
        // The window covers the first iterations of each epoch.
        recording = it.Iteration < iterationsPerEpoch;
        if (!recording)
        {
            lock (gate)
            {
                // The weights that next arrive follow a push outside the window.
                foreach (var lane in lanes.Values)
                {
                    lane.PushStart = null;
                }
            }
        }
    }

    public void EpochDone(EpochDone epoch)
    {
        recording = iterationsPerEpoch > 0;
        lock (gate)
        {
            if (!full && !disposed)
            {
                Slice("evaluation", "loop", epoch.EvaluationStarted, epoch.EvaluationDone,
                    [("epoch", epoch.Metrics.Epoch), ("test_accuracy", epoch.Metrics.TestAccuracy), ("test_loss", epoch.Metrics.TestLoss)]);
            }
            trace.Flush();
        }
    }

    public void CheckpointWritten(in CheckpointWrite write)
    {
        lock (gate)
        {
            if (!full && !disposed)
            {
                Slice("checkpoint", "loop", write.Started, write.Done, [("version", write.Version)]);
            }
        }
    }

    public void RunEnded(bool completed) => Flush();

    public void WorkerJoined(string worker, DateTime at)
    {
        lock (gate)
        {
            Lane(worker);
            EventAt("worker joined", at, worker);
        }
    }

    public void WorkerLeft(string worker, string reason, DateTime at)
    {
        lock (gate)
        {
            EventAt("worker left", at, $"{worker}: {reason}");
        }
    }

    public void ParameterServerJoined(string server, DateTime at)
    {
        lock (gate)
        {
            EventAt("parameter server joined", at, server);
        }
    }

    public void ParameterServerLeft(string server, string reason, DateTime at)
    {
        lock (gate)
        {
            EventAt("parameter server left", at, $"{server}: {reason}");
        }
    }

    public void ShardRejected(string worker, int shard, RejectionReason reason)
    {
        lock (gate)
        {
            EventAt("shard rejected", DateTime.UtcNow, $"{worker} shard {shard}: {reason}");
        }
    }

    public void ShardRedispatched(string worker, int shard)
    {
        lock (gate)
        {
            EventAt("shard re-dispatched", DateTime.UtcNow, $"{worker} shard {shard}");
        }
    }

    public void ShardSpeculated(string worker, string helper, int shard)
    {
        lock (gate)
        {
            EventAt("shard speculated", DateTime.UtcNow, $"{worker} shard {shard} also to {helper}");
        }
    }

    public void ShardAnswered(in ShardAnswer answer)
    {
        // Evaluation is recorded whole; training shards within the window.
        if (answer.Work == ShardWork.Gradient && !recording)
        {
            return;
        }
        lock (gate)
        {
            if (full || disposed)
            {
                return;
            }
            var lane = Lane(answer.Worker);
            var sent = Micros(answer.Sent);
            var received = Micros(answer.Received);
            var compute = answer.ComputeMicros;
            // The worker's own durations (by its clock) are laid out backwards from the answer; the
            // rest of the round trip is the network's, of which the result's share is estimated.
            var wait = Math.Max(0, answer.WeightsWaitMicros);
            var push = Math.Max(0, answer.PushMicros);
            var network = Math.Max(0, received - sent - wait - compute - push);
            lane.SmallestNetwork = Math.Min(lane.SmallestNetwork, network);
            var resultTransfer = Math.Min(network, lane.SmallestNetwork / 2);
            var pushEnd = Math.Max(lane.End, received - resultTransfer);
            var pushStart = Math.Max(lane.End, pushEnd - push);
            var computeEnd = pushStart;
            var computeStart = Math.Max(lane.End, computeEnd - compute);
            var waitStart = Math.Max(lane.End, computeStart - wait);
            if (waitStart > sent && sent >= lane.End)
            {
                trace.Complete("task in transit", "shard", WorkersPid, lane.Tid, sent, waitStart - sent, [("shard", answer.Shard)]);
            }
            if (computeStart > waitStart)
            {
                trace.Complete("waiting for weights", "shard", WorkersPid, lane.Tid, waitStart, computeStart - waitStart,
                    [("shard", answer.Shard), ("wait_ms", wait / 1000.0)]);
            }
            var name = answer.Work == ShardWork.Gradient ? (answer.Counted ? "compute" : "compute (late copy)") : "evaluate";
            trace.Complete(name, "shard", WorkersPid, lane.Tid, computeStart, computeEnd - computeStart,
                [("shard", answer.Shard), ("compute_ms", compute / 1000.0), ("round_trip_ms", (received - sent) / 1000.0)]);
            if (pushEnd > pushStart)
            {
                trace.Complete("pushing gradient", "shard", WorkersPid, lane.Tid, pushStart, pushEnd - pushStart,
                    [("shard", answer.Shard), ("push_ms", push / 1000.0)]);
            }
            trace.Complete("sending result", "shard", WorkersPid, lane.Tid, pushEnd, received - pushEnd, [("shard", answer.Shard)]);
            lane.End = received;
            WeightsArrived(lane, answer);
            if (push > 0)
            {
                lane.PushStart = pushStart;
            }
            CheckFull();
        }
    }

    /// <summary>Writes what is buffered, so the file is current up to now.</summary>
    public void Flush()
    {
        lock (gate)
        {
            if (!disposed)
            {
                trace.Flush();
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (!disposed)
            {
                disposed = true;
                trace.Dispose();
            }
        }
    }

    private bool Open() => recording && !full && !disposed;

    private void CheckFull()
    {
        if (trace.Count >= maxEvents && !full)
        {
            full = true;
            trace.Instant("timeline full", "timeline", CoordinatorPid, EventsLane, Micros(DateTime.UtcNow), $"stopped recording at {maxEvents} events");
        }
    }

    private void Slice(string name, string category, DateTime start, DateTime end, ReadOnlySpan<(string, double)> args = default)
    {
        trace.Complete(name, category, CoordinatorPid, LoopLane, Micros(start), (end - start).TotalMicroseconds, args);
        CheckFull();
    }

    private void EventAt(string name, DateTime at, string detail)
    {
        if (!full && !disposed)
        {
            trace.Instant(name, "event", CoordinatorPid, EventsLane, Micros(at), detail);
            CheckFull();
        }
    }

    /// <summary>
    /// The span in which the weights of the answer's version arrived, on the worker's second lane:
    /// the worker counts it from its push of the version before, which this lane recorded last.
    /// </summary>
    private void WeightsArrived(WorkerLane lane, in ShardAnswer answer)
    {
        if (lane.PushStart is not { } pushStart || answer.WeightsLastBlockMicros <= 0)
        {
            return;
        }
        lane.PushStart = null;
        if (lane.WeightsTid is not { } tid)
        {
            tid = WeightsLaneOffset + lane.Tid;
            lane.WeightsTid = tid;
            trace.ThreadName(WorkersPid, tid, $"{answer.Worker}: weights in", lane.Tid);
        }
        var first = pushStart + Math.Max(0, answer.WeightsFirstBlockMicros);
        var last = Math.Max(first, pushStart + answer.WeightsLastBlockMicros);
        trace.Complete("weights arriving", "shard", WorkersPid, tid, first, last - first,
            [("shard", answer.Shard), ("first_block_after_push_ms", answer.WeightsFirstBlockMicros / 1000.0), ("last_block_after_push_ms", answer.WeightsLastBlockMicros / 1000.0)]);
    }

    private WorkerLane Lane(string worker)
    {
        if (!lanes.TryGetValue(worker, out var lane))
        {
            lane = new WorkerLane(lanes.Count + 1);
            lanes[worker] = lane;
            if (!disposed)
            {
                trace.ThreadName(WorkersPid, lane.Tid, worker, lane.Tid);
            }
        }
        return lane;
    }

    private double Micros(DateTime at) => (at - origin).TotalMicroseconds;

    private sealed class WorkerLane(int tid)
    {
        public int Tid { get; } = tid;

        /// <summary>Where the lane's last slice ends: slices on a lane never overlap.</summary>
        public double End { get; set; } = double.MinValue;

        public double SmallestNetwork { get; set; } = double.MaxValue;

        /// <summary>Where the last recorded push began, until the weights that followed it are drawn.</summary>
        public double? PushStart { get; set; }

        /// <summary>The lane of the weights arriving, once it has a span.</summary>
        public int? WeightsTid { get; set; }
    }
}
