using Grpc.Core;

namespace DistTrain.Transport.Http2.Server;

/// <summary>The response messages of a streaming call, as a handler sends them.</summary>
internal sealed class ServerResponseStream<T>(ServerCall call, Action<T, SerializationContext> serialize) : IServerStreamWriter<T>
    where T : class
{
    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    public Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return call.WriteMessageAsync(message, serialize, cancellationToken);
    }
}
