namespace DistTrain.Rpc;

/// <summary>
/// A bidirectional streaming call. Writes and reads may run concurrently. Disposing cancels
/// the call (RST_STREAM) unless it already ended.
/// </summary>
public sealed class DuplexStreamingCall<TRequest, TResponse> : IDisposable
{
    private readonly StreamingCall _call;

    internal DuplexStreamingCall(StreamingCall call, IClientStreamWriter<TRequest> requestStream, IAsyncStreamReader<TResponse> responseStream)
    {
        _call = call;
        RequestStream = requestStream;
        ResponseStream = responseStream;
    }

    public IClientStreamWriter<TRequest> RequestStream { get; }

    public IAsyncStreamReader<TResponse> ResponseStream { get; }

    public void Dispose() => _call.Dispose();
}
