using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>The request messages of a streaming call, as a handler sees them.</summary>
internal sealed class ServerRequestStream<T>(ServerCall call, MessageReader<T> parser) : IAsyncStreamReader<T>
    where T : IMessage<T>
{
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        var (found, message) = await call.ReadMessageAsync(parser, cancellationToken).ConfigureAwait(false);
        if (found)
        {
            _current = message;
        }
        return found;
    }
}
