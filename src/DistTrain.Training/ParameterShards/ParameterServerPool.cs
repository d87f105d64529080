using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// Membership of the parameter servers: each registers through its Register stream, every change
/// reaches the coordinator's loop as an <see cref="OwnerEvent"/>, in order. Losing a server that
/// owns a slice ends the run: <see cref="Lost"/> is cancelled at once, so no wait outlasts it. So
/// does a slice's step that diverged: the coordinator does not wait for each step's reports before
/// the next tasks go out, and the workers would otherwise be refused that slice's next version.
/// </summary>
public sealed class ParameterServerPool(int capacity, ILogger logger)
{
    private readonly Channel<OwnerEvent> events = Channel.CreateUnbounded<OwnerEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock gate = new();
    private readonly Dictionary<string, OwnerSession> sessions = [];
    private readonly CancellationTokenSource lost = new();
    private readonly CancellationTokenSource leaving = new();
    private string? lossReason;
    private string? divergence;
    private int nextId;

    /// <summary>Parameter servers the run needs: P - 1.</summary>
    public int Capacity => capacity;

    public ChannelReader<OwnerEvent> Events => events.Reader;

    /// <summary>
    /// Cancelled when a server that owns a slice is lost (<see cref="LossReason"/> says which and
    /// why) or a slice's step diverged (<see cref="Divergence"/>).
    /// </summary>
    public CancellationToken Lost => lost.Token;

    public string? LossReason => Volatile.Read(ref lossReason);

    public string? Divergence => Volatile.Read(ref divergence);

    /// <summary>Cancelled when a server that owns a slice says it is stopping: the run stops with a checkpoint while it still serves.</summary>
    public CancellationToken Leaving => leaving.Token;

    /// <summary>A server that owns a slice is stopping (SIGTERM, a scale-down): it keeps serving until the coordinator ends the run.</summary>
    public void Leave(OwnerSession session, string reason)
    {
        logger.LogWarning("Parameter server {Server} is stopping ({Reason}): the run stops with a checkpoint while it still serves its slice", session, reason);
        leaving.Cancel();
    }

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

    /// <summary>Null when every slice already has a server.</summary>
    public OwnerSession? Register(string name, string address, string peer)
    {
        OwnerSession session;
        lock (gate)
        {
            if (sessions.Count >= capacity)
            {
                return null;
            }
            var id = $"ps{++nextId}";
            session = new OwnerSession(id, string.IsNullOrWhiteSpace(name) ? id : name, address, peer);
            sessions.Add(id, session);
        }
        logger.LogInformation("Parameter server {Server} joined from {Peer}, serving {Address}; {Count} of {Capacity} connected",
            session.Name, peer, address, Count, capacity);
        events.Writer.TryWrite(new OwnerEvent.Joined(session));
        return session;
    }

    public void Remove(OwnerSession session, string reason)
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
        if (expected)
        {
            logger.LogInformation("Parameter server {Server} left: {Reason}", session, reason);
        }
        else if (session.Slice >= 0)
        {
            Interlocked.CompareExchange(ref lossReason, $"parameter server {session} was lost: {reason}", null);
            logger.LogError("Parameter server {Server} was lost: {Reason}", session, reason);
            lost.Cancel();
        }
        else
        {
            logger.LogWarning("Parameter server {Server} left before it was given a slice: {Reason}", session, reason);
        }
        events.Writer.TryWrite(new OwnerEvent.Left(session, reason));
    }

    public void Post(OwnerEvent e)
    {
        if (e is OwnerEvent.Diverged diverged && Interlocked.CompareExchange(ref divergence, diverged.Problem, null) is null)
        {
            lost.Cancel();
        }
        events.Writer.TryWrite(e);
    }

    public IReadOnlyList<OwnerSession> Snapshot()
    {
        lock (gate)
        {
            return [.. sessions.Values.OrderBy(s => int.Parse(s.Id.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture))];
        }
    }
}
