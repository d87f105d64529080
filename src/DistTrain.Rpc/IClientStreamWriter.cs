namespace DistTrain.Rpc;

/// <summary>Sends request messages of a client streaming call.</summary>
public interface IClientStreamWriter<T>
{
    /// <summary>Sends one message. Concurrent calls are queued, not interleaved.</summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);

    /// <summary>Tells the server no more messages will come (half-close).</summary>
    Task CompleteAsync();
}
