using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Distributed;

/// <summary>
/// Membership: workers register themselves through their Join stream (no address list needed)
/// and every change reaches the coordinator's loop as a <see cref="WorkerEvent"/>, in order.
/// </summary>
public sealed class WorkerPool(int maxWorkers, ILogger logger)
{
    private readonly Channel<WorkerEvent> events = Channel.CreateUnbounded<WorkerEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock gate = new();
    private readonly Dictionary<string, WorkerSession> sessions = [];
    private int nextId;

    public ChannelReader<WorkerEvent> Events => events.Reader;

    public int Count
    {
        get
        {
            lock (gate)
            {
                return sessions.Count;
            }
        }
    }

    /// <summary>Null when the pool is full.</summary>
    public WorkerSession? Register(string name, string peer)
    {
        WorkerSession session;
        lock (gate)
        {
            if (sessions.Count >= maxWorkers)
            {
                return null;
            }
            var id = $"w{++nextId}";
            session = new WorkerSession(id, string.IsNullOrWhiteSpace(name) ? id : name, peer);
            sessions.Add(id, session);
        }
        logger.LogInformation("Worker {Worker} joined from {Peer}; {Count} connected", session.Name, peer, Count);
        events.Writer.TryWrite(new WorkerEvent.Joined(session));
        return session;
    }

    public void Remove(WorkerSession session, string reason)
    {
        lock (gate)
        {
            if (!sessions.Remove(session.Id))
            {
                return;
            }
        }
        // Sessions the coordinator closed on purpose (the run is over) are not news.
        var expected = session.IsClosed;
        session.Close();
        logger.Log(expected ? LogLevel.Information : LogLevel.Warning, "Worker {Worker} left: {Reason}; {Count} connected", session.Name, reason, Count);
        events.Writer.TryWrite(new WorkerEvent.Left(session, reason));
    }

    public void Post(WorkerEvent e) => events.Writer.TryWrite(e);

    public IReadOnlyList<WorkerSession> Snapshot()
    {
        lock (gate)
        {
            return [.. sessions.Values];
        }
    }
}
