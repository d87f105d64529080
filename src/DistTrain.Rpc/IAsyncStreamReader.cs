namespace DistTrain.Rpc;

/// <summary>Reads the messages of a stream one at a time.</summary>
public interface IAsyncStreamReader<T>
{
    /// <summary>The message the last successful <see cref="MoveNext"/> read.</summary>
    T Current { get; }

    /// <summary>Reads the next message; false when the stream ended cleanly.</summary>
    Task<bool> MoveNext(CancellationToken cancellationToken = default);
}
