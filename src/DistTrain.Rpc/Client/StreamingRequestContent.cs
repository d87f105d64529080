using System.Net;

namespace DistTrain.Rpc;

/// <summary>
/// The request body of a streaming call: hands the HTTP/2 request stream to the writer and stays
/// open until the writer half-closes (END_STREAM) or the call is aborted (RST_STREAM).
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the HTTP stack starts sending the body.</summary>
    public Task<Stream> Stream => _stream.Task;

    /// <summary>Half-close: the body ends after what was written.</summary>
    public void Complete() => _completion.TrySetResult();

    /// <summary>Failing the body makes the HTTP stack reset the stream.</summary>
    public void Abort()
    {
        _completion.TrySetException(new OperationCanceledException("The call was cancelled."));
        _stream.TrySetCanceled();
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(Abort);
        // The handler holds HEADERS back to coalesce them with the first DATA frame; a call whose
        // server speaks first (or answers trailers-only) would wait for a write that never comes.
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        _stream.TrySetResult(stream);
        await _completion.Task.ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
