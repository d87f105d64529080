using Grpc.Core;

namespace DistTrain.Transport;

/// <summary>A client connection of either transport: its call invoker, and disposal that closes it.</summary>
public sealed class ClientChannel(ChannelBase channel, IDisposable connection) : IDisposable
{
    public ChannelBase Channel { get; } = channel;

    public CallInvoker CallInvoker { get; } = channel.CreateCallInvoker();

    /// <summary>Closes the connection at once: calls still running fail with UNAVAILABLE or CANCELLED.</summary>
    public void Dispose() => connection.Dispose();
}
