using DistTrain.Transport.Http2.Framing;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Client;

/// <summary>
/// The state a streaming call's request and response sides share: the HTTP/2 stream (opened
/// at once), its final status once known, and cancellation of both sides together.
/// </summary>
internal sealed class StreamingCall : IDisposable
{
    private readonly Task<Http2Stream> _stream;
    private RpcException? _finalStatus;
    private int _disposed;

    public StreamingCall(ClientCall call)
    {
        Call = call;
        _stream = call.StartAsync();
        // Observe a failure nobody awaits (a call disposed before it was used).
        _ = _stream.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    public ClientCall Call { get; }

    public RpcException? FinalStatus => Volatile.Read(ref _finalStatus);

    public Task<Http2Stream> StreamAsync(CancellationToken cancellationToken) => _stream.WaitAsync(cancellationToken);

    public void SetFinalStatus(RpcException status)
    {
        if (Interlocked.CompareExchange(ref _finalStatus, status, null) is null)
        {
            Call.SetOutcome(status.Status, status.Trailers);
        }
    }

    /// <summary>Maps a failure, records it as the final status, and tears the call down.</summary>
    public RpcException Fail(Exception exception)
    {
        var early = ClientCall.EarlyStatus(_stream.IsCompletedSuccessfully ? _stream.Result : null);
        var status = FinalStatus is { StatusCode: not StatusCode.OK } known && exception is not RpcException
            ? known
            : early is { StatusCode: not StatusCode.OK } && exception is not RpcException
                ? early
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
        // Cancelling resets the stream if it is still open.
        if (FinalStatus is null)
        {
            SetFinalStatus(new RpcException(new Status(StatusCode.Cancelled, "Call disposed.")));
        }
        Call.Cancel();
        Call.Dispose();
    }
}
