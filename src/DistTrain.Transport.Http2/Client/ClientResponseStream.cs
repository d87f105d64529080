using DistTrain.Transport.Http2.Calls;
using DistTrain.Transport.Http2.Framing;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Client;

/// <summary>
/// The response side of a client streaming call. MoveNext returns false when the call ended
/// with OK and throws <see cref="RpcException"/> with the final status otherwise.
/// </summary>
internal sealed class ClientResponseStream<T>(StreamingCall call, Func<DeserializationContext, T> deserialize, int maxReceiveMessageSize) : IAsyncStreamReader<T>
    where T : class
{
    private Http2Stream? _stream;
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (call.FinalStatus is { } ended)
        {
            return ended.StatusCode == StatusCode.OK ? false : throw ended;
        }
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(call.Call.Token, cancellationToken) : null;
        var token = linked?.Token ?? call.Call.Token;
        try
        {
            if (_stream is null)
            {
                var stream = await call.StreamAsync(token).ConfigureAwait(false);
                if (await call.Call.ReadHeadersAsync(stream).WaitAsync(token).ConfigureAwait(false) is { } early)
                {
                    call.SetFinalStatus(early);
                    return early.StatusCode == StatusCode.OK ? false : throw early;
                }
                _stream = stream;
            }
            var (found, message) = await MessageReader.ReadAsync(_stream, deserialize, maxReceiveMessageSize, "response", token).ConfigureAwait(false);
            if (found)
            {
                _current = message;
                return true;
            }
            var status = ClientCall.FinalStatus(_stream);
            call.SetFinalStatus(status);
            return status.StatusCode == StatusCode.OK ? false : throw status;
        }
        catch (Exception e)
        {
            throw call.Fail(e);
        }
    }

    /// <summary>The single response of a client-streaming call: exactly one message, then OK.</summary>
    public async Task<T> SingleAsync()
    {
        if (!await MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            throw call.Fail(new RpcException(new Status(StatusCode.Internal, "Failed to deserialize response message.")));
        }
        var message = Current;
        if (await MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            throw call.Fail(new RpcException(new Status(StatusCode.Internal, "The server sent more than one message for a single-response call.")));
        }
        return message;
    }
}
