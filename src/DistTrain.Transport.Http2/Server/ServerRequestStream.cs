using Grpc.Core;

namespace DistTrain.Transport.Http2.Server;

/// <summary>The request messages of a streaming call, as a handler sees them.</summary>
internal sealed class ServerRequestStream<T>(ServerCall call, Func<DeserializationContext, T> deserialize) : IAsyncStreamReader<T>
    where T : class
{
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        var (found, message) = await call.ReadMessageAsync(deserialize, cancellationToken).ConfigureAwait(false);
        if (found)
        {
            _current = message;
        }
        return found;
    }
}
