using DistTrain.Transport.Http2.Calls;
using DistTrain.Transport.Http2.Framing;
using DistTrain.Transport.Http2.Wire;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2.Server;

/// <summary>
/// One call on the server: reads length-prefixed requests from the HTTP/2 stream, writes
/// responses after the response headers, and ends with the grpc-status trailer (or trailers-only
/// headers when nothing was sent). Ends the call itself with DEADLINE_EXCEEDED when the
/// client's deadline passes, even if the handler ignores its token.
/// </summary>
internal sealed partial class ServerCall : IDisposable
{
    // CancellationTokenSource timers top out near 49 days; longer deadlines are left to the client.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(30);
    private static readonly Status DeadlineExceeded = new(StatusCode.DeadlineExceeded, "Deadline Exceeded");

    private readonly Http2Stream _stream;
    private readonly int _maxReceiveMessageSize;
    private readonly int _maxSendMessageSize;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource? _deadlineTimer;
    private readonly CancellationTokenSource _callCancellation;
    private bool _finished;
    private bool _headersSent;
    private Task? _deadlineFinish;

    public ServerCall(Http2Stream stream, CallStart start, int maxReceiveMessageSize, int maxSendMessageSize, ILogger logger)
    {
        _stream = stream;
        _maxReceiveMessageSize = maxReceiveMessageSize;
        _maxSendMessageSize = maxSendMessageSize;
        _logger = logger;
        var deadline = DateTime.MaxValue;
        if (start.Timeout is { } t)
        {
            deadline = DateTime.UtcNow + t;
            if (t < LongestTimer)
            {
                _deadlineTimer = new CancellationTokenSource(t);
            }
        }
        _callCancellation = _deadlineTimer is null
            ? CancellationTokenSource.CreateLinkedTokenSource(stream.Aborted)
            : CancellationTokenSource.CreateLinkedTokenSource(stream.Aborted, _deadlineTimer.Token);
        Context = new EngineServerCallContext(this, start, deadline, _callCancellation.Token);
    }

    public EngineServerCallContext Context { get; }

    private bool DeadlinePassed => _deadlineTimer?.IsCancellationRequested == true;

    public async Task RunAsync(ServerMethod method)
    {
        Status status;
        var registration = _deadlineTimer?.Token.Register(() =>
            {
                LogDeadlineExceeded(_logger, Context.Method, Context.Peer);
                _deadlineFinish = FinishAsync(DeadlineExceeded);
            })
            ?? default;
        try
        {
            await method.InvokeAsync(this).ConfigureAwait(false);
            status = DeadlinePassed ? DeadlineExceeded : Context.Status;
        }
        catch (Exception) when (DeadlinePassed)
        {
            // Already reported and logged when the deadline fired.
            status = DeadlineExceeded;
        }
        catch (Exception e) when (_stream.Aborted.IsCancellationRequested)
        {
            // The client reset the stream or the connection dropped: nobody is left to tell.
            LogCancelledByClient(_logger, Context.Method, Context.Peer, e.GetType().Name);
            status = new Status(StatusCode.Cancelled, string.Empty);
        }
        catch (RpcException e)
        {
            status = e.Status;
            foreach (var entry in e.Trailers)
            {
                Context.ResponseTrailers.Add(entry);
            }
            LogCallFailed(_logger, Context.Method, Context.Peer, e.StatusCode, e.Status.Detail);
        }
        catch (Exception e)
        {
            status = new Status(StatusCode.Unknown, "Exception was thrown by handler.");
            LogHandlerException(_logger, e, Context.Method, Context.Peer);
        }
        await registration.DisposeAsync().ConfigureAwait(false);
        if (_deadlineFinish is { } deadlineFinish)
        {
            await deadlineFinish.ConfigureAwait(false);
        }
        if (status.StatusCode != StatusCode.Cancelled || !_stream.Aborted.IsCancellationRequested)
        {
            await FinishAsync(status).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the one request of a unary or server-streaming call; it must be the only one.</summary>
    public async Task<T> ReadSingleMessageAsync<T>(Func<DeserializationContext, T> deserialize)
        where T : class
    {
        var (found, message) = await ReadMessageAsync(deserialize, CancellationToken.None).ConfigureAwait(false);
        if (!found)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Incomplete request: the stream ended before a message."));
        }
        var (extra, _) = await ReadMessageAsync(deserialize, CancellationToken.None).ConfigureAwait(false);
        if (extra)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Additional request message for a single-request method."));
        }
        return message!;
    }

    /// <summary>
    /// Reads the next request message straight from the received buffers; (false, default) when
    /// the client half-closed at a message boundary.
    /// </summary>
    public async Task<(bool Found, T? Message)> ReadMessageAsync<T>(Func<DeserializationContext, T> deserialize, CancellationToken cancellationToken)
    {
        using var linked = Link(cancellationToken);
        var token = linked?.Token ?? _callCancellation.Token;
        return await MessageReader.ReadAsync(_stream, deserialize, _maxReceiveMessageSize, "request", token).ConfigureAwait(false);
    }

    /// <summary>Sends the response headers now, with the handler's metadata (at most once, before any message).</summary>
    public async Task WriteHeadersAsync(Metadata? metadata)
    {
        await _writeLock.WaitAsync(_callCancellation.Token).ConfigureAwait(false);
        try
        {
            if (_headersSent || _finished)
            {
                throw new InvalidOperationException("Response headers have already been sent.");
            }
            await _stream.SendHeadersAsync(ResponseHeaders.StartWith(metadata), endStream: false, _callCancellation.Token).ConfigureAwait(false);
            _headersSent = true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends the response headers with the first message; the message is serialized straight into the connection's output.</summary>
    /// <param name="flush">False when the status follows at once (unary calls): message and trailers leave in one send.</param>
    public async Task WriteMessageAsync<T>(T message, Action<T, SerializationContext> serialize, CancellationToken cancellationToken, bool flush = true)
    {
        using var linked = Link(cancellationToken);
        var token = linked?.Token ?? _callCancellation.Token;
        await _writeLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (_finished)
            {
                throw DeadlinePassed
                    ? new RpcException(DeadlineExceeded)
                    : new InvalidOperationException("The call has already finished.");
            }
            if (!_headersSent)
            {
                // Unflushed: the headers leave together with the message.
                await _stream.SendHeadersAsync(ResponseHeaders.Start, endStream: false, token, flush: false).ConfigureAwait(false);
                _headersSent = true;
            }
            await _stream.SendMessageAsync(message, serialize, _maxSendMessageSize, endStream: false, token, flush).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends the final status once; later calls do nothing.</summary>
    public async Task FinishAsync(Status status)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_finished)
            {
                return;
            }
            _finished = true;
            await _stream.SendHeadersAsync(ResponseHeaders.Final(status, trailersOnly: !_headersSent, Context.ResponseTrailers), endStream: true).ConfigureAwait(false);
            if (!_stream.RemoteEnded)
            {
                // The client may still be sending; NO_ERROR tells it the answer is complete.
                _stream.Reset(Http2ErrorCode.NoError, new RpcException(status));
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or Http2StreamException)
        {
            LogStatusNotSent(_logger, Context.Method, Context.Peer, status.StatusCode, e.GetType().Name);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void Dispose()
    {
        _callCancellation.Dispose();
        _deadlineTimer?.Dispose();
        _writeLock.Dispose();
    }

    private CancellationTokenSource? Link(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(_callCancellation.Token, cancellationToken)
            : null;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Call {Method} from {Peer} ended with {StatusCode}: {Detail}")]
    private static partial void LogCallFailed(ILogger logger, string method, string peer, StatusCode statusCode, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Call {Method} from {Peer} passed its deadline")]
    private static partial void LogDeadlineExceeded(ILogger logger, string method, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Call {Method} from {Peer} was cancelled or disconnected by the client ({Reason})")]
    private static partial void LogCancelledByClient(ILogger logger, string method, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler of {Method} from {Peer} threw; the client gets UNKNOWN")]
    private static partial void LogHandlerException(ILogger logger, Exception exception, string method, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Status {StatusCode} of {Method} from {Peer} could not be sent ({Reason})")]
    private static partial void LogStatusNotSent(ILogger logger, string method, string peer, StatusCode statusCode, string reason);
}
