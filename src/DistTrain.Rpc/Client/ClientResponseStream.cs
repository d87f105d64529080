using DistTrain.Rpc.Http2;
using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>
/// The response side of a client streaming call. MoveNext returns false when the call ended
/// with OK and throws <see cref="RpcException"/> with the final status otherwise.
/// </summary>
internal sealed class ClientResponseStream<T>(StreamingCall call, MessageReader<T> parser, int maxReceiveMessageSize) : IAsyncStreamReader<T>
    where T : IMessage<T>
{
    private Http2Stream? _stream;
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
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
            var (found, message) = await PipeMessageReader.ReadAsync(_stream, parser, maxReceiveMessageSize, "response", token).ConfigureAwait(false);
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
}
