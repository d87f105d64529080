namespace DistTrain.Rpc;

/// <summary>
/// The state a streaming call's request and response sides share: the HTTP exchange, its
/// final status once known, and cancellation of both sides together.
/// </summary>
internal sealed class StreamingCall : IDisposable
{
    private readonly Task<HttpResponseMessage> _response;
    private readonly CancellationTokenRegistration _cancelRegistration;
    private RpcException? _finalStatus;
    private int _disposed;

    public StreamingCall(ClientCall call, StreamingRequestContent content, Task<HttpResponseMessage> response)
    {
        Call = call;
        Content = content;
        _response = response;
        // Observe a failure nobody awaits (a call disposed before it was used).
        _ = response.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        _cancelRegistration = call.Token.Register(static state => ((StreamingCall)state!).Abort(), this);
    }

    public ClientCall Call { get; }

    public StreamingRequestContent Content { get; }

    public RpcException? FinalStatus => Volatile.Read(ref _finalStatus);

    /// <summary>The response once its headers arrived and say messages may follow.</summary>
    public async Task<HttpResponseMessage> ResponseAsync(CancellationToken cancellationToken)
    {
        var response = await _response.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (ClientCall.CheckHeaders(response) is { } ended)
        {
            SetFinalStatus(ended);
            if (ended.StatusCode != StatusCode.OK)
            {
                throw ended;
            }
        }
        return response;
    }

    /// <summary>The request body stream, or the reason the call ended before it opened.</summary>
    public async Task<Stream> RequestStreamAsync(CancellationToken cancellationToken)
    {
        var stream = Content.Stream;
        if (!stream.IsCompleted)
        {
            await Task.WhenAny(stream, _response).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!stream.IsCompleted)
            {
                // The response came first; if it ended the call, that is the answer.
                await ResponseAsync(cancellationToken).ConfigureAwait(false);
                if (FinalStatus is not null)
                {
                    throw new InvalidOperationException("The call already ended; no more messages can be sent.");
                }
            }
        }
        return await stream.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void SetFinalStatus(RpcException status) => Interlocked.CompareExchange(ref _finalStatus, status, null);

    /// <summary>Maps a failure, records it as the final status, and tears the call down.</summary>
    public RpcException Fail(Exception exception)
    {
        var status = FinalStatus is { StatusCode: not StatusCode.OK } known && exception is not RpcException
            ? known
            : Call.ToRpcException(exception);
        SetFinalStatus(status);
        Call.Cancel();
        return status;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Call.Cancel();
        _cancelRegistration.Dispose();
        Abort();
        Call.Dispose();
    }

    /// <summary>Resets the HTTP/2 stream if it is still open: fail the request body, drop the response.</summary>
    private void Abort()
    {
        Content.Abort();
        if (_response.IsCompletedSuccessfully)
        {
            _response.Result.Dispose();
        }
        else
        {
            _ = _response.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }
}
