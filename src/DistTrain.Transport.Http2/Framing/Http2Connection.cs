using System.Buffers;
using System.Buffers.Binary;
using DistTrain.Transport.Hosting;
using DistTrain.Transport.Http2.Wire;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// One HTTP/2 connection (RFC 9113), client or server end, over a socket or TLS stream: the
/// frame read loop, SETTINGS, flow control both ways, PING, RST_STREAM, GOAWAY and the stream
/// table. Written for few streams carrying large messages: a message that fits the peer's frame
/// size and windows goes out as one DATA frame serialized straight into the send buffer, and a
/// large received DATA payload is read from the socket straight into its stream's buffer.
/// </summary>
internal sealed partial class Http2Connection : IAsyncDisposable
{
    private const int DefaultWindow = 65535;

    private readonly FrameTransport _transport;
    private readonly bool _isServer;
    private readonly Func<Http2Stream, Task>? _onRequest;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _sync = new();
    private readonly Dictionary<int, Http2Stream> _streams = [];
    private readonly HpackDecoder _decoder;
    private readonly ArrayBufferWriter<byte> _headerBlock = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _peerSettings = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TokenBucket _resets;
    private readonly TokenBucket _pingsAndSettings;
    private readonly ReceiveBudget? _budget;
    private readonly LogThrottle? _warnings;
    private readonly long _created = System.Diagnostics.Stopwatch.GetTimestamp();
    private int _pendingControl;
    // Stopwatch ticks: when the current socket write began (0: none running), since when no stream is open.
    private long _writeStarted;
    private long _idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
    private volatile bool _requestSeen;

    // Guarded by _sync.
    private long _connectionSendWindow = DefaultWindow;
    private int _peerInitialWindow = DefaultWindow;
    private int _peerMaxFrameSize = FrameHeader.DefaultMaxFrameSize;
    private int _peerMaxConcurrentStreams = int.MaxValue;
    private TaskCompletionSource? _windowWaiter;
    private int _nextStreamId = 1;
    private int _lastPeerStreamId;
    private bool _goingAway;
    private Exception? _failure;

    // Read loop only.
    private int _headerFrames;
    private long _connectionReceiveWindow;
    private int _continuationStreamId;
    private bool _continuationEndStream;
    private bool _settingsReceived;

    private int _connectionUnacknowledged;

    /// <param name="budget">The server's bound on request bytes waiting to be read, shared by its connections; none for a client.</param>
    /// <param name="warnings">Where warnings about the peer go, rate-limited across the server's connections.</param>
    public Http2Connection(FrameTransport transport, bool isServer, Http2Limits limits, string peer, ILogger? logger, Func<Http2Stream, Task>? onRequest = null,
        ReceiveBudget? budget = null, LogThrottle? warnings = null)
    {
        _transport = transport;
        _isServer = isServer;
        Limits = limits;
        Peer = peer;
        _logger = logger;
        _onRequest = onRequest;
        _budget = budget;
        _warnings = warnings ?? (logger is null ? null : new LogThrottle(logger));
        _decoder = new HpackDecoder(limits.HeaderTableSize, limits.MaxHeaderListSize);
        _connectionReceiveWindow = limits.ConnectionWindow;
        _resets = new TokenBucket(limits.MaxStreamResetsPerSecond);
        _pingsAndSettings = new TokenBucket(limits.MaxPingsAndSettingsPerSecond);
    }

    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public Http2Limits Limits { get; }

    public string Peer { get; }

    /// <summary>Completes when the connection has ended, for whatever reason.</summary>
    public Task Completion => _closed.Task;

    /// <summary>False once the connection failed or either end sent GOAWAY: new calls need a new connection.</summary>
    public bool CanStartStreams
    {
        get
        {
            lock (_sync)
            {
                return !_goingAway && _failure is null;
            }
        }
    }

    /// <summary>True once the peer has opened a stream (made a request).</summary>
    public bool RequestSeen => _requestSeen;

    public int ActiveStreams
    {
        get
        {
            lock (_sync)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>
    /// Runs the connection until it ends: sends our preface/SETTINGS, then reads frames. Never
    /// throws; failures end every stream with <see cref="Http2StreamException"/>.
    /// </summary>
    public async Task RunAsync()
    {
        Exception failure;
        try
        {
            await SendPrefaceAsync().ConfigureAwait(false);
            if (_isServer)
            {
                await ReadClientPrefaceAsync().ConfigureAwait(false);
            }
            await ReadFramesAsync().ConfigureAwait(false);
            failure = new Http2StreamException(Http2ErrorCode.NoError, "The connection was closed by the peer.", connectionLost: true);
        }
        catch (Http2ConnectionException e)
        {
            LogConnectionError(e.ErrorCode, e.Message);
            await TrySendGoAwayAsync(e.ErrorCode, e.Message).ConfigureAwait(false);
            failure = new Http2StreamException(e.ErrorCode, $"HTTP/2 connection error {e.ErrorCode}: {e.Message}", connectionLost: true);
        }
        catch (HpackException e)
        {
            LogConnectionError(Http2ErrorCode.CompressionError, e.Message);
            await TrySendGoAwayAsync(Http2ErrorCode.CompressionError, e.Message).ConfigureAwait(false);
            failure = new Http2StreamException(Http2ErrorCode.CompressionError, $"HTTP/2 compression error: {e.Message}", connectionLost: true);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            failure = new Http2StreamException(Http2ErrorCode.InternalError, $"The connection was lost: {e.Message}", connectionLost: true);
        }
        Abort(failure);
        await CloseTransportAsync().ConfigureAwait(false);
        _transport.Input.Dispose();
    }

    private async Task CloseTransportAsync()
    {
        try
        {
            await _transport.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // Closing a broken socket may fail; it is closed either way.
        }
    }

    /// <summary>Ends the connection now: every open stream fails with <paramref name="reason"/>.</summary>
    public void Abort(Exception reason)
    {
        Http2Stream[] streams;
        TaskCompletionSource? waiter;
        lock (_sync)
        {
            if (_failure is not null)
            {
                return;
            }
            _failure = reason;
            streams = [.. _streams.Values];
            _streams.Clear();
            waiter = _windowWaiter;
            _windowWaiter = null;
        }
        waiter?.TrySetException(reason);
        _peerSettings.TrySetException(reason);
        _ = _peerSettings.Task.Exception;
        foreach (var stream in streams)
        {
            stream.Fail(reason);
        }
        _transport.Abort();
        _closed.TrySetResult();
    }

    /// <summary>
    /// Graceful end: GOAWAY with the last stream we accepted; running streams go on, no new
    /// ones start.
    /// </summary>
    public async Task GoAwayAsync()
    {
        int last;
        lock (_sync)
        {
            if (_goingAway || _failure is not null)
            {
                return;
            }
            _goingAway = true;
            last = _lastPeerStreamId;
        }
        await TrySendGoAwayAsync(Http2ErrorCode.NoError, string.Empty, last).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await GoAwayAsync().ConfigureAwait(false);
        Abort(new Http2StreamException(Http2ErrorCode.Cancel, "The connection was closed locally.", connectionLost: true));
        await CloseTransportAsync().ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- client: new streams

    /// <summary>
    /// Client: opens a stream by sending its request headers (ids are assigned in send order).
    /// Without <paramref name="flush"/> the headers wait in the output buffer for the next
    /// flush (the first message's), so both leave in one send.
    /// </summary>
    public async Task<Http2Stream> StartStreamAsync(IReadOnlyList<HeaderField> headers, bool endStream, CancellationToken cancellationToken, bool flush = true)
    {
        var block = EncodeHeaders(headers);
        while (true)
        {
            // At the peer's stream limit, a call waits for another to end (as SocketsHttpHandler queues it).
            await WaitForStreamSlotAsync(cancellationToken).ConfigureAwait(false);
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Http2Stream stream;
                lock (_sync)
                {
                    ThrowIfCannotStart();
                    if (_streams.Count >= _peerMaxConcurrentStreams)
                    {
                        continue;
                    }
                    stream = new Http2Stream(this, _nextStreamId, _peerInitialWindow, Limits.StreamWindow);
                    _nextStreamId += 2;
                    _streams.Add(stream.Id, stream);
                    stream.LocalEnded = endStream;
                }
                WriteHeaderFrames(stream.Id, block.WrittenSpan, endStream);
                if (flush)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
                return stream;
            }
            finally
            {
                _writeLock.Release();
            }
        }
    }

    private async Task WaitForStreamSlotAsync(CancellationToken cancellationToken)
    {
        // The peer's first SETTINGS says how many streams it takes; opening more before it arrives
        // gets them refused (Kestrel closes the connection).
        await _peerSettings.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            Task wait;
            lock (_sync)
            {
                ThrowIfCannotStart();
                if (_streams.Count < _peerMaxConcurrentStreams)
                {
                    return;
                }
                _windowWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _windowWaiter.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void ThrowIfCannotStart()
    {
        if (_failure is { } failure)
        {
            throw failure as Http2StreamException ?? new Http2StreamException(Http2ErrorCode.InternalError, failure.Message, connectionLost: true);
        }
        if (_goingAway)
        {
            throw new Http2StreamException(Http2ErrorCode.RefusedStream, "The connection is going away.", connectionLost: true);
        }
    }

    // ---------------------------------------------------------------- sending

    internal Task SendHeadersAsync(Http2Stream stream, IReadOnlyList<HeaderField> fields, bool endStream, CancellationToken cancellationToken, bool flush = true) =>
        WriteStreamFramesAsync(stream, (Block: EncodeHeaders(fields), EndStream: endStream),
            static (connection, s, state) => connection.WriteHeaderFrames(s.Id, state.Block.WrittenSpan, state.EndStream),
            endStream, flush, cancellationToken);

    /// <summary>
    /// Sends one length-prefixed message, serialized by <paramref name="serialize"/> (a
    /// marshaller's contextual serializer) straight into the output when it fits one frame and
    /// the open windows. Without <paramref name="flush"/>, such a message waits in the output
    /// buffer for the caller's next frame (the trailers of a unary call), saving a send; the
    /// caller must send something flushed next.
    /// </summary>
    internal async Task SendMessageAsync<T>(Http2Stream stream, T message, Action<T, SerializationContext> serialize, int maxSize, bool endStream, CancellationToken cancellationToken, bool flush = true)
    {
        using var outgoing = new OutgoingMessage(_transport.Output, length => TryReserveWhole(stream, length), stream.Id, endStream, maxSize);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfStreamClosed(stream);
            try
            {
                serialize(message, outgoing);
                outgoing.EnsureComplete();
            }
            catch (Exception e) when (outgoing.Direct)
            {
                // Part of a frame is in the output already: nothing else can follow it on this connection.
                Abort(new Http2StreamException(Http2ErrorCode.InternalError, $"Serializing a message failed: {e.Message}", connectionLost: true));
                throw;
            }
            catch (Exception e) when (e is not RpcException)
            {
                throw new RpcException(new Status(StatusCode.Internal, $"Error serializing the message: {e.Message}", e));
            }
            if (!outgoing.Direct && _transport.Output.UnflushedBytes > 0)
            {
                // Frames waiting for this one (the response headers) go now: the peer may open its
                // window only once it has seen them (SocketsHttpHandler reads after the headers).
                await FlushAsync().ConfigureAwait(false);
            }
            if (outgoing.Direct)
            {
                if (flush || !outgoing.Tail.IsEmpty)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
                if (!outgoing.Tail.IsEmpty)
                {
                    await WriteDirectAsync(outgoing.Tail).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _writeLock.Release();
        }
        if (outgoing.Direct)
        {
            if (endStream)
            {
                OnLocalEnd(stream);
            }
            return;
        }
        // Larger than a frame or the open window: the buffered part, then the tail, as credit allows.
        var tail = outgoing.Tail;
        await SendDataAsync(stream, outgoing.Buffered, endStream && tail.IsEmpty, cancellationToken).ConfigureAwait(false);
        if (!tail.IsEmpty)
        {
            await SendDataAsync(stream, tail, endStream, cancellationToken).ConfigureAwait(false);
        }
    }

    internal async Task SendDataAsync(Http2Stream stream, ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken)
    {
        do
        {
            var length = data.IsEmpty ? 0 : await ReserveAsync(stream, data.Length, cancellationToken).ConfigureAwait(false);
            var end = endStream && length == data.Length;
            await WriteStreamFramesAsync(stream, (Chunk: data[..length], EndStream: end),
                static (connection, s, state) => connection.WriteFrame(
                    new FrameHeader(state.Chunk.Length, FrameType.Data, state.EndStream ? FrameFlags.EndStream : (byte)0, s.Id), state.Chunk.Span),
                end, flush: true, cancellationToken).ConfigureAwait(false);
            data = data[length..];
        }
        while (!data.IsEmpty);
    }

    /// <summary>
    /// The one way a stream's frames go out: under the write lock, only while the stream may
    /// still send, flushed unless the caller batches; END_STREAM ends the local side.
    /// </summary>
    private async Task WriteStreamFramesAsync<TState>(Http2Stream stream, TState state, Action<Http2Connection, Http2Stream, TState> write, bool endStream, bool flush, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfStreamClosed(stream);
            write(this, stream, state);
            if (flush)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
        if (endStream)
        {
            OnLocalEnd(stream);
        }
    }

    internal void SendWindowUpdate(int streamId, int increment) => _ = SendControlAsync(FrameType.WindowUpdate, 0, streamId, (uint)increment);

    /// <summary>Received bytes went into a stream's buffer: they count against the server's budget.</summary>
    internal void OnBuffered(int bytes)
    {
        if (_budget is not null && !_budget.TryTake(bytes))
        {
            _budget.Release(bytes);
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm,
                $"unread request data on this server passed {_budget.MaxBytes >> 20} MB (limit MaxBufferedRequestMegabytes)");
        }
    }

    /// <summary>Buffered bytes were read (or will never be): they leave the budget.</summary>
    internal void OnConsumed(int bytes) => _budget?.Release(bytes);

    /// <summary>Credits received bytes to the connection window; a WINDOW_UPDATE goes out at half the window.</summary>
    internal void CreditConnection(int bytes)
    {
        var pending = Interlocked.Add(ref _connectionUnacknowledged, bytes);
        if (pending >= Limits.ConnectionWindow / 2 && Interlocked.CompareExchange(ref _connectionUnacknowledged, 0, pending) == pending)
        {
            Interlocked.Add(ref _connectionReceiveWindow, pending);
            SendWindowUpdate(0, pending);
        }
    }

    internal void OnLocalReset(Http2Stream stream, Http2ErrorCode code)
    {
        bool known;
        lock (_sync)
        {
            known = _streams.ContainsKey(stream.Id);
            Retire(stream);
            WakeSenders();
        }
        if (known)
        {
            _ = SendControlAsync(FrameType.RstStream, 0, stream.Id, (uint)code);
        }
    }

    private void OnLocalEnd(Http2Stream stream)
    {
        lock (_sync)
        {
            stream.LocalEnded = true;
            Retire(stream);
        }
    }

    /// <summary>
    /// Called under _sync: a stream leaves the table once both ends are done, or, when it was
    /// reset, once its handler (on a server) has returned too: handlers a client reset but that
    /// still run count against the stream limit (the rapid-reset bound), while a call that
    /// finished normally frees its place as its last frame goes out, as the client counts it.
    /// </summary>
    private void Retire(Http2Stream stream)
    {
        if (((stream.LocalEnded && stream.RemoteEnded) || (stream.IsReset && stream.HandlerDone)) && _streams.Remove(stream.Id))
        {
            if (_streams.Count == 0)
            {
                Volatile.Write(ref _idleSince, System.Diagnostics.Stopwatch.GetTimestamp());
                if (!_isServer && _goingAway)
                {
                    // The server said goodbye and our last call is done: close, as it waits for us to.
                    _ = Task.Run(() => Abort(new Http2StreamException(Http2ErrorCode.NoError, "The server went away.", connectionLost: true)));
                }
            }
            WakeSenders();
        }
    }

    private void ThrowIfStreamClosed(Http2Stream stream)
    {
        if (stream.IsReset)
        {
            throw stream.AbortReason ?? new Http2StreamException(Http2ErrorCode.Cancel, "The stream was reset.");
        }
        if (stream.LocalEnded)
        {
            throw new InvalidOperationException("The stream's sending side has already ended.");
        }
        lock (_sync)
        {
            if (_failure is { } failure)
            {
                throw failure;
            }
        }
    }

    private bool TryReserveWhole(Http2Stream stream, int length)
    {
        lock (_sync)
        {
            if (length > _peerMaxFrameSize || length > stream.SendWindow || length > _connectionSendWindow)
            {
                return false;
            }
            stream.SendWindow -= length;
            _connectionSendWindow -= length;
            return true;
        }
    }

    /// <summary>Waits for send credit on both the stream and the connection; returns how much (at most one frame).</summary>
    private async Task<int> ReserveAsync(Http2Stream stream, int wanted, CancellationToken cancellationToken)
    {
        long? waitingSince = null;
        while (true)
        {
            Task wait;
            lock (_sync)
            {
                if (_failure is { } failure)
                {
                    throw failure;
                }
                if (stream.IsReset)
                {
                    throw stream.AbortReason ?? new Http2StreamException(Http2ErrorCode.Cancel, "The stream was reset.");
                }
                var available = Math.Min(Math.Min(stream.SendWindow, _connectionSendWindow), Math.Min(_peerMaxFrameSize, wanted));
                if (available > 0)
                {
                    stream.SendWindow -= available;
                    _connectionSendWindow -= available;
                    return (int)available;
                }
                _windowWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _windowWaiter.Task;
            }
            waitingSince ??= System.Diagnostics.Stopwatch.GetTimestamp();
            var left = Limits.StallTimeout == Timeout.InfiniteTimeSpan
                ? Timeout.InfiniteTimeSpan
                : TimeSpan.FromTicks(Math.Max(0, (Limits.StallTimeout - System.Diagnostics.Stopwatch.GetElapsedTime(waitingSince.Value)).Ticks));
            try
            {
                await wait.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A peer that never opens its window holds the message (and its sender) forever otherwise.
                var reason = new Http2StreamException(Http2ErrorCode.Cancel, $"The peer did not take more data for {Limits.StallTimeout.TotalSeconds:0} s (stall timeout).");
                WarnPeer("stream send stalled", reason.Message);
                stream.Reset(Http2ErrorCode.Cancel, reason);
                throw reason;
            }
        }
    }

    /// <summary>Called under _sync whenever credit may have grown or a stream ended (senders and callers waiting for a stream slot).</summary>
    private void WakeSenders()
    {
        var waiter = _windowWaiter;
        _windowWaiter = null;
        waiter?.TrySetResult();
    }

    private static ArrayBufferWriter<byte> EncodeHeaders(IReadOnlyList<HeaderField> fields)
    {
        var block = new ArrayBufferWriter<byte>(256);
        foreach (var field in fields)
        {
            HpackEncoder.Write(block, field.Name, field.Value);
        }
        return block;
    }

    /// <summary>HEADERS, then CONTINUATION frames if the block is larger than the peer's frame size. Caller holds the write lock.</summary>
    private void WriteHeaderFrames(int streamId, ReadOnlySpan<byte> block, bool endStream)
    {
        int maxFrame;
        lock (_sync)
        {
            maxFrame = _peerMaxFrameSize;
        }
        var first = true;
        do
        {
            var length = Math.Min(block.Length, maxFrame);
            var flags = (byte)((length == block.Length ? FrameFlags.EndHeaders : 0) | (first && endStream ? FrameFlags.EndStream : 0));
            WriteFrame(new FrameHeader(length, first ? FrameType.Headers : FrameType.Continuation, flags, streamId), block[..length]);
            block = block[length..];
            first = false;
        }
        while (!block.IsEmpty);
    }

    private void WriteFrame(FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var output = _transport.Output;
        header.Write(output.GetSpan(FrameHeader.Size));
        output.Advance(FrameHeader.Size);
        if (!payload.IsEmpty)
        {
            output.Write(payload);
        }
    }

    private async ValueTask WriteDirectAsync(ReadOnlyMemory<byte> data)
    {
        Volatile.Write(ref _writeStarted, System.Diagnostics.Stopwatch.GetTimestamp());
        try
        {
            await _transport.WriteDirectAsync(data).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            lock (_sync)
            {
                throw _failure ?? new Http2StreamException(Http2ErrorCode.InternalError, "The connection is closed.", connectionLost: true);
            }
        }
        finally
        {
            Volatile.Write(ref _writeStarted, 0);
        }
    }

    private async ValueTask FlushAsync()
    {
        Volatile.Write(ref _writeStarted, System.Diagnostics.Stopwatch.GetTimestamp());
        System.IO.Pipelines.FlushResult result;
        try
        {
            result = await _transport.Output.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _writeStarted, 0);
        }
        if (result.IsCanceled || result.IsCompleted)
        {
            lock (_sync)
            {
                throw _failure ?? new Http2StreamException(Http2ErrorCode.InternalError, "The connection is closed.", connectionLost: true);
            }
        }
    }

    /// <summary>
    /// A small control frame carrying one 32-bit value (WINDOW_UPDATE, RST_STREAM), sent without
    /// the caller waiting. A peer that makes us queue more of them than it reads is cut off.
    /// </summary>
    private async Task SendControlAsync(FrameType type, byte flags, int streamId, uint value)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, value);
        if (Interlocked.Increment(ref _pendingControl) > Limits.MaxPendingControlFrames)
        {
            Interlocked.Decrement(ref _pendingControl);
            var detail = $"more than {Limits.MaxPendingControlFrames} replies waiting for the peer to read them (limit MaxPendingControlFrames)";
            LogConnectionError(Http2ErrorCode.EnhanceYourCalm, detail);
            Abort(new Http2StreamException(Http2ErrorCode.EnhanceYourCalm, detail, connectionLost: true));
            return;
        }
        try
        {
            await SendFrameAsync(new FrameHeader(4, type, flags, streamId), payload).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pendingControl);
        }
    }

    private async Task SendFrameAsync(FrameHeader header, byte[] payload)
    {
        try
        {
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                lock (_sync)
                {
                    if (_failure is not null)
                    {
                        return;
                    }
                }
                WriteFrame(header, payload);
                await FlushAsync().ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // A reply that cannot be written means the peer is gone: stop reading its frames too,
            // rather than working on for a client that will never see the answers.
            Abort(new Http2StreamException(Http2ErrorCode.InternalError, $"Writing to the peer failed: {e.Message}", connectionLost: true));
        }
    }

    private async Task SendPrefaceAsync()
    {
        var settings = new List<(SettingId, uint)>
        {
            (SettingId.MaxConcurrentStreams, (uint)Limits.MaxConcurrentStreams),
            (SettingId.InitialWindowSize, (uint)Limits.StreamWindow),
            (SettingId.MaxFrameSize, (uint)Limits.MaxFrameSize),
            (SettingId.MaxHeaderListSize, (uint)Limits.MaxHeaderListSize),
        };
        if (Limits.HeaderTableSize != 4096)
        {
            settings.Add((SettingId.HeaderTableSize, (uint)Limits.HeaderTableSize));
        }
        if (!_isServer)
        {
            settings.Add((SettingId.EnablePush, 0));
        }
        var payload = new byte[settings.Count * 6];
        for (var i = 0; i < settings.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(i * 6), (ushort)settings[i].Item1);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(i * 6 + 2), settings[i].Item2);
        }
        var windowIncrement = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(windowIncrement, (uint)(Limits.ConnectionWindow - DefaultWindow));
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_isServer)
            {
                _transport.Output.Write(Preface);
            }
            WriteFrame(new FrameHeader(payload.Length, FrameType.Settings, 0, 0), payload);
            if (Limits.ConnectionWindow > DefaultWindow)
            {
                WriteFrame(new FrameHeader(4, FrameType.WindowUpdate, 0, 0), windowIncrement);
            }
            await FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task TrySendGoAwayAsync(Http2ErrorCode code, string detail, int? lastStreamId = null)
    {
        var debug = System.Text.Encoding.UTF8.GetBytes(detail.Length > 256 ? detail[..256] : detail);
        var payload = new byte[8 + debug.Length];
        int last;
        lock (_sync)
        {
            last = lastStreamId ?? _lastPeerStreamId;
        }
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)last);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), (uint)code);
        debug.CopyTo(payload, 8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await SendFrameAsync(new FrameHeader(payload.Length, FrameType.GoAway, 0, 0), payload).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A peer that does not read cannot be told; closing the socket tells it enough.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP/2 connection error {ErrorCode} with {Peer}: {Detail}")]
    private static partial void LogConnectionError(ILogger logger, Http2ErrorCode errorCode, string peer, string detail);

    private void LogConnectionError(Http2ErrorCode code, string detail) =>
        _warnings?.Warn(logger => LogConnectionError(logger, code, Peer, detail));

    /// <summary>A bound a peer ran into, as one rate-limited warning naming the peer and the limit.</summary>
    private void WarnPeer(string what, string detail) =>
        _warnings?.Warn(logger => LogPeerLimit(logger, Peer, what, detail));

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP/2 peer {Peer}: {What}: {Detail}")]
    private static partial void LogPeerLimit(ILogger logger, string peer, string what, string detail);

    /// <summary>
    /// The server's heartbeat (about once a second): ends a connection whose peer has not finished
    /// its handshake in time, has had no call for the idle timeout, or has not taken a write for
    /// the stall timeout, and resets streams whose message stalled half-received.
    /// </summary>
    public void CheckTimeouts()
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var writing = Volatile.Read(ref _writeStarted);
        string? reason = null;
        var code = Http2ErrorCode.NoError;
        if (writing != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(writing, now) > Limits.StallTimeout)
        {
            reason = $"the peer has not read for {Limits.StallTimeout.TotalSeconds:0} s (StallTimeoutSeconds)";
            code = Http2ErrorCode.EnhanceYourCalm;
        }
        else if (!_requestSeen && System.Diagnostics.Stopwatch.GetElapsedTime(_created, now) > Limits.HandshakeTimeout)
        {
            reason = $"no request within {Limits.HandshakeTimeout.TotalSeconds:0} s of connecting (HandshakeTimeoutSeconds)";
            code = Http2ErrorCode.EnhanceYourCalm;
        }
        Http2Stream[] stalled = [];
        lock (_sync)
        {
            if (reason is null && _streams.Count == 0 && System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _idleSince), now) > Limits.IdleTimeout)
            {
                reason = $"no call for {Limits.IdleTimeout.TotalSeconds:0} s (IdleTimeoutSeconds)";
            }
            if (reason is null)
            {
                stalled = [.. _streams.Values.Where(s => s.PartialSince != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(s.PartialSince, now) > Limits.StallTimeout)];
            }
        }
        foreach (var stream in stalled)
        {
            WarnPeer("message stalled", $"stream {stream.Id} sent part of a message and nothing more for {Limits.StallTimeout.TotalSeconds:0} s (StallTimeoutSeconds); stream reset");
            stream.Reset(Http2ErrorCode.Cancel, new Http2StreamException(Http2ErrorCode.Cancel, "The message stalled half-received."));
        }
        if (reason is null)
        {
            return;
        }
        if (code != Http2ErrorCode.NoError)
        {
            WarnPeer("connection closed", reason);
        }
        _ = CloseAsync(code, reason);
    }

    /// <summary>GOAWAY (best effort, bounded in time), then the connection ends.</summary>
    private async Task CloseAsync(Http2ErrorCode code, string reason)
    {
        await TrySendGoAwayAsync(code, reason).ConfigureAwait(false);
        Abort(new Http2StreamException(code, $"The server closed the connection: {reason}.", connectionLost: true));
    }
}
