using System.Threading.Channels;
using DistTrain.Training.Protocol.V1;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// The coordinator's view of one connected parameter server: its outgoing orders (drained onto its
/// Register stream by one writer), where workers reach it, and the slice it owns.
/// </summary>
public sealed class OwnerSession(string id, string name, string address, string peer)
{
    private readonly Channel<OwnerOrder> outbox = Channel.CreateUnbounded<OwnerOrder>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource closed = new();

    public string Id { get; } = id;

    public string Name { get; } = name;

    /// <summary>The ParameterServer address workers connect to.</summary>
    public string Address { get; } = address;

    public string Peer { get; } = peer;

    /// <summary>The slice assigned to it; -1 until then.</summary>
    public int Slice { get; set; } = -1;

    public ChannelReader<OwnerOrder> Outbox => outbox.Reader;

    public CancellationToken Closed => closed.Token;

    public bool IsClosed => closed.IsCancellationRequested;

    public void Send(OwnerOrder order) => outbox.Writer.TryWrite(order);

    /// <summary>Ends the session: the writer stops once the queued orders are out, and the Register call returns.</summary>
    public void Close()
    {
        outbox.Writer.TryComplete();
        closed.Cancel();
    }

    public override string ToString() => Slice < 0 ? $"{Name} ({Address})" : $"{Name} (slice {Slice}, {Address})";
}
