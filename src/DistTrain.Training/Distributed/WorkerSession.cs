using System.Threading.Channels;
using DistTrain.Training.Protocol.V1;

namespace DistTrain.Training.Distributed;

/// <summary>
/// The coordinator's view of one connected worker: its outgoing message queue (drained onto its
/// Join stream by one writer), the weight version it holds, and what it has done.
/// </summary>
public sealed class WorkerSession(string id, string name, string peer)
{
    private readonly Channel<CoordinatorMessage> outbox = Channel.CreateUnbounded<CoordinatorMessage>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource closed = new();
    private readonly RecentDurations recentGradients = new();
    private readonly RecentDurations recentEvaluations = new();

    public string Id { get; } = id;

    public string Name { get; } = name;

    public string Peer { get; } = peer;

    /// <summary>The weight version last broadcast to this worker; -1 before the first.</summary>
    public long BroadcastVersion { get; set; } = -1;

    /// <summary>Parameter shards: whether the worker has been told where the slices live.</summary>
    public bool KnowsSlices { get; set; }

    public int Outstanding { get; set; }

    public int Rejections { get; set; }

    /// <summary>
    /// False until the worker's first result is accepted. A worker on probation holds at most
    /// one shard at a time, and that shard also goes to a proven worker at once, so workers
    /// that join and never answer (anyone may join without --auth-token) cannot hold up an iteration.
    /// </summary>
    public bool Proven { get; set; }

    public DateTime LastSeenUtc { get; set; } = DateTime.UtcNow;

    /// <summary>This worker's last few hundred shard round trips of one kind of task, in seconds.</summary>
    public RecentDurations RecentRoundTrips(TaskKind kind) => kind == TaskKind.Evaluate ? recentEvaluations : recentGradients;

    public ChannelReader<CoordinatorMessage> Outbox => outbox.Reader;

    public CancellationToken Closed => closed.Token;

    public bool IsClosed => closed.IsCancellationRequested;

    public void Send(CoordinatorMessage message) => outbox.Writer.TryWrite(message);

    /// <summary>Ends the session: the writer stops and the Join call returns, which drops the stream.</summary>
    public void Close()
    {
        outbox.Writer.TryComplete();
        closed.Cancel();
    }

    public override string ToString() => $"{Name} ({Id}, {Peer})";
}
