namespace DistTrain.Rpc;

/// <summary>Sends response messages from a server handler.</summary>
public interface IServerStreamWriter<T>
{
    /// <summary>Sends one message. Concurrent calls are queued, not interleaved.</summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
