using System.Buffers;
using System.IO.Pipelines;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// One HTTP/2 stream, either end: the peer's header blocks, its DATA as a pipe the gRPC layer
/// reads messages from, and sending headers, messages and the end of the stream. Flow control
/// is the connection's business; the reader reports what it consumed so the window reopens.
/// </summary>
internal sealed class Http2Stream
{
    // Never pause the pipe: HTTP/2 flow control already bounds what the peer may send. Its blocks
    // can outlive it: a received tensor may stay in the block it arrived in (Tensors/TensorLease).
    internal static readonly PipeOptions InboundOptions = new(
        pool: ReceiveBlockPool.Default,
        pauseWriterThreshold: 0,
        readerScheduler: PipeScheduler.ThreadPool,
        writerScheduler: PipeScheduler.Inline,
        useSynchronizationContext: false);

    private readonly Http2Connection _connection;
    private readonly Pipe _inbound = new(InboundOptions);
    private readonly TaskCompletionSource<List<HeaderField>> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _aborted = new();
    private List<HeaderField>? _trailers;
    private readonly Lock _accounting = new();
    private int _unacknowledged;
    private int _receiveWindow;
    private int _reset;
    // Received bytes the reader has not consumed yet; -1 once the stream gave them back for good.
    private int _unconsumed;
    private long _partialSince;

    public Http2Stream(Http2Connection connection, int id, int sendWindow, int receiveWindow)
    {
        _connection = connection;
        Id = id;
        SendWindow = sendWindow;
        _receiveWindow = receiveWindow;
    }

    public int Id { get; }

    /// <summary>The peer's first header block: request headers on a server, response headers on a client.</summary>
    public Task<List<HeaderField>> Headers => _headers.Task;

    /// <summary>The peer's trailing header block, once the body ended (same as Headers for trailers-only).</summary>
    public List<HeaderField>? Trailers => Volatile.Read(ref _trailers);

    /// <summary>The peer's DATA, in order; completes at END_STREAM, faults on reset or a lost connection.</summary>
    public PipeReader Body => _inbound.Reader;

    /// <summary>Fires when the peer resets the stream or the connection goes away.</summary>
    public CancellationToken Aborted => _aborted.Token;

    public Exception? AbortReason { get; private set; }

    /// <summary>Send credit; guarded by the connection's lock.</summary>
    internal long SendWindow { get; set; }

    internal bool LocalEnded { get; set; }

    internal bool RemoteEnded { get; set; }

    internal bool IsReset => Volatile.Read(ref _reset) != 0;

    /// <summary>False while a server handler runs for this stream: it still counts against the stream limit then, even after a reset.</summary>
    internal bool HandlerDone { get; set; } = true;

    /// <summary>
    /// When the reader started waiting for the rest of a half-received message
    /// (<see cref="System.Diagnostics.Stopwatch"/> ticks), 0 when it is not: a peer that stalls
    /// mid-message has the stream reset after the stall timeout.
    /// </summary>
    internal long PartialSince => Volatile.Read(ref _partialSince);

    /// <summary>The reader waits for more of a message whose start it has (<paramref name="partial"/>), or not.</summary>
    public void MarkPartial(bool partial)
    {
        if (!partial)
        {
            Volatile.Write(ref _partialSince, 0);
        }
        else if (Volatile.Read(ref _partialSince) == 0)
        {
            Volatile.Write(ref _partialSince, System.Diagnostics.Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Sends a header block; without <paramref name="flush"/> it leaves with the next flushed frame.</summary>
    public Task SendHeadersAsync(IReadOnlyList<HeaderField> fields, bool endStream, CancellationToken cancellationToken = default, bool flush = true) =>
        _connection.SendHeadersAsync(this, fields, endStream, cancellationToken, flush);

    /// <summary>Sends one length-prefixed gRPC message (serialized straight into the connection's output when it fits one frame).</summary>
    public Task SendMessageAsync<T>(T message, Action<T, SerializationContext> serialize, int maxSize, bool endStream, CancellationToken cancellationToken = default, bool flush = true) =>
        _connection.SendMessageAsync(this, message, serialize, maxSize, endStream, cancellationToken, flush);

    /// <summary>Half-closes: an empty DATA frame with END_STREAM.</summary>
    public Task EndAsync(CancellationToken cancellationToken = default) =>
        _connection.SendDataAsync(this, ReadOnlyMemory<byte>.Empty, endStream: true, cancellationToken);

    /// <summary>Sends RST_STREAM (once) and fails the local reader with <paramref name="reason"/>.</summary>
    public void Reset(Http2ErrorCode code, Exception? reason = null)
    {
        if (Interlocked.Exchange(ref _reset, 1) != 0)
        {
            return;
        }
        Fail(reason ?? new Http2StreamException(code, $"Stream reset locally ({code})."));
        _connection.OnLocalReset(this, code);
    }

    /// <summary>Credits consumed body bytes back to the peer's send window.</summary>
    public void Consumed(int bytes)
    {
        if (bytes <= 0)
        {
            return;
        }
        lock (_accounting)
        {
            if (_unconsumed < 0)
            {
                // Already given back when the stream ended.
                return;
            }
            _unconsumed -= bytes;
        }
        _connection.OnConsumed(bytes);
        if (RemoteEnded)
        {
            return;
        }
        var pending = Interlocked.Add(ref _unacknowledged, bytes);
        if (pending >= _connection.Limits.StreamWindow / 2 && Interlocked.CompareExchange(ref _unacknowledged, 0, pending) == pending)
        {
            Interlocked.Add(ref _receiveWindow, pending);
            _connection.SendWindowUpdate(Id, pending);
        }
    }

    // ---- called by the connection's read loop ----

    internal void OnHeaders(List<HeaderField> fields, bool endStream)
    {
        if (!_headers.TrySetResult(fields))
        {
            Volatile.Write(ref _trailers, fields);
        }
        else if (endStream)
        {
            Volatile.Write(ref _trailers, fields);
        }
        if (endStream)
        {
            OnRemoteEnd();
        }
    }

    /// <summary>
    /// A DATA payload read from the socket (or the frame buffer) straight into the body buffer. False when it
    /// overran the stream's window (nothing was read; the caller skips it and resets the stream).
    /// </summary>
    internal async ValueTask<bool> ReceiveDataAsync(FrameInput input, int dataLength, int frameLength, bool endStream)
    {
        if (Interlocked.Add(ref _receiveWindow, -frameLength) < 0)
        {
            return false;
        }
        if (BeginWrite())
        {
            bool counted;
            lock (_accounting)
            {
                // A stream that already gave its bytes back (failing right now) credits these at once.
                counted = _unconsumed >= 0;
                if (counted)
                {
                    _unconsumed += dataLength;
                }
            }
            _connection.OnBuffered(dataLength);
            if (!counted)
            {
                _connection.OnConsumed(dataLength);
            }
            try
            {
                var destination = _inbound.Writer.GetMemory(dataLength);
                await input.ReadExactlyAsync(destination[..dataLength]).ConfigureAwait(false);
                _inbound.Writer.Advance(dataLength);
                _ = _inbound.Writer.FlushAsync();
            }
            finally
            {
                EndWrite();
            }
        }
        else
        {
            // Failed or reset: nobody reads it (the connection window is credited for it by the read loop).
            await input.SkipAsync(dataLength).ConfigureAwait(false);
        }
        if (endStream)
        {
            OnRemoteEnd();
        }
        return true;
    }

    internal void OnRemoteEnd()
    {
        RemoteEnded = true;
        if (BeginWrite())
        {
            _writeState = Completed;
            _inbound.Writer.Complete();
        }
    }

    /// <summary>The peer reset the stream or the connection ended.</summary>
    internal void Fail(Exception reason)
    {
        AbortReason ??= reason;
        ReturnUnconsumed();
        _headers.TrySetException(reason);
        // The read loop may be reading into the body buffer right now: then it completes the
        // pipe when it is done, rather than the buffer being released under it.
        while (true)
        {
            var state = Volatile.Read(ref _writeState);
            if (state == Idle && Interlocked.CompareExchange(ref _writeState, Completed, Idle) == Idle)
            {
                _inbound.Writer.Complete(reason);
                break;
            }
            if (state == Writing && Interlocked.CompareExchange(ref _writeState, CompleteAfterWrite, Writing) == Writing)
            {
                break;
            }
            if (state is Completed or CompleteAfterWrite)
            {
                break;
            }
        }
        try
        {
            _aborted.Cancel();
        }
        catch (AggregateException)
        {
            // A callback threw; the stream is failing anyway.
        }
    }

    private const int Idle = 0;
    private const int Writing = 1;
    private const int Completed = 2;
    private const int CompleteAfterWrite = 3;

    private int _writeState;

    /// <summary>Read loop only: false when the body is already completed (failed, reset or ended).</summary>
    private bool BeginWrite() => Interlocked.CompareExchange(ref _writeState, Writing, Idle) == Idle;

    private void EndWrite()
    {
        if (Interlocked.CompareExchange(ref _writeState, Idle, Writing) != Writing)
        {
            // Failed while we wrote.
            _writeState = Completed;
            _inbound.Writer.Complete(AbortReason);
        }
    }

    internal void MarkReset() => Interlocked.Exchange(ref _reset, 1);

    /// <summary>
    /// Takes what the peer sent and nobody will read off the server's budget of unread request
    /// bytes (a rejected or reset call must not hold it for good), once.
    /// </summary>
    private void ReturnUnconsumed()
    {
        int left;
        lock (_accounting)
        {
            left = _unconsumed;
            _unconsumed = -1;
        }
        if (left > 0)
        {
            _connection.OnConsumed(left);
        }
    }
}
