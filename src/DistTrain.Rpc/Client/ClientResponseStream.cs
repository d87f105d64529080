using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>
/// The response side of a client streaming call. MoveNext returns false when the call ended
/// with OK and throws <see cref="RpcException"/> with the final status otherwise.
/// </summary>
internal sealed class ClientResponseStream<T>(StreamingCall call, MessageParser<T> parser, int maxReceiveMessageSize) : IAsyncStreamReader<T>
    where T : IMessage<T>
{
    private ResponseMessageReader? _reader;
    private HttpResponseMessage? _response;
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (call.FinalStatus is { } ended)
        {
            return ended.StatusCode == StatusCode.OK ? false : throw ended;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(call.Call.Token, cancellationToken);
        try
        {
            if (_reader is null)
            {
                _response = await call.ResponseAsync(linked.Token).ConfigureAwait(false);
                if (call.FinalStatus is not null)
                {
                    return false;
                }
                var body = await _response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
                _reader = new ResponseMessageReader(body, maxReceiveMessageSize);
            }
            var (found, message) = await _reader.ReadAsync(parser, linked.Token).ConfigureAwait(false);
            if (found)
            {
                _current = message;
                return true;
            }
            var status = ClientCall.FinalStatus(_response!);
            call.SetFinalStatus(status);
            return status.StatusCode == StatusCode.OK ? false : throw status;
        }
        catch (Exception e)
        {
            throw call.Fail(e);
        }
    }
}
