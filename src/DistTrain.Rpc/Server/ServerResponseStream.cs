using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>The response messages of a streaming call, as a handler sends them.</summary>
internal sealed class ServerResponseStream<T>(ServerCall call) : IServerStreamWriter<T>
    where T : IMessage<T>
{
    public Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return call.WriteMessageAsync(message, cancellationToken);
    }
}
