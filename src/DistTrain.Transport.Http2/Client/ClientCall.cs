using System.Globalization;
using System.Net;
using DistTrain.Transport.Http2.Framing;
using DistTrain.Transport.Http2.Wire;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2.Client;

/// <summary>
/// What every client call shares: the request headers, the call's cancellation (caller's token,
/// deadline, disposal) which resets the HTTP/2 stream, reading the status from headers or
/// trailers, and turning transport failures into the status the gRPC spec names. Also what
/// Grpc.Core's call objects ask of a call: response headers, the final status and trailers.
/// </summary>
internal sealed partial class ClientCall : IDisposable
{
    private readonly TaskCompletionSource<Metadata> _responseHeaders = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Status? _status;
    private Metadata? _trailers;
    private readonly ClientConnection _connection;
    private readonly List<HeaderField> _headers;
    private readonly CancellationTokenSource? _deadlineTimer;
    private readonly CancellationTokenSource _cancellation;
    private readonly CancellationToken _callerToken;
    private readonly ILogger? _logger;
    private CancellationTokenRegistration _resetOnCancel;
    private Http2Stream? _stream;

    public ClientCall(ClientConnection connection, string method, CallOptions options, GrpcClientOptions channelOptions, ILogger? logger)
    {
        _connection = connection;
        Method = method;
        // Observed here: a caller that never asks for the headers must not see an unobserved fault.
        _ = _responseHeaders.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        _callerToken = options.CancellationToken;
        _logger = logger;
        TimeSpan? timeout = null;
        if (options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            var remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            timeout = remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
            // Timers top out near 49 days; a deadline further away than that is not worth one.
            if (remaining < TimeSpan.FromDays(30))
            {
                _deadlineTimer = new CancellationTokenSource(timeout.Value);
            }
        }
        _cancellation = _deadlineTimer is null
            ? CancellationTokenSource.CreateLinkedTokenSource(_callerToken)
            : CancellationTokenSource.CreateLinkedTokenSource(_callerToken, _deadlineTimer.Token);

        _headers =
        [
            new(":method", "POST"),
            new(":scheme", connection.Scheme),
            new(":path", method),
            new(":authority", connection.Authority),
            new("content-type", GrpcHeaders.ContentType),
            new(GrpcHeaders.TE, "trailers"),
            new(GrpcHeaders.UserAgent, "disttrain-grpc/1.0"),
            new(GrpcHeaders.AcceptEncoding, GrpcHeaders.IdentityEncoding),
        ];
        if (timeout is { } t)
        {
            _headers.Add(new(GrpcHeaders.Timeout, GrpcTimeout.Format(t)));
        }
        if (!string.IsNullOrEmpty(channelOptions.AuthToken))
        {
            _headers.Add(new(GrpcHeaders.Authorization, Hosting.BearerTokenCheck.Prefix + channelOptions.AuthToken));
        }
        if (options.Headers is { } metadata)
        {
            HeaderMetadata.AppendTo(_headers, metadata);
        }
    }

    public Task<Metadata> ResponseHeadersAsync => _responseHeaders.Task;

    /// <summary>Grpc.Core's GetStatus: only once the call has ended.</summary>
    public Status GetStatus() => _status ?? throw new InvalidOperationException("Unable to get the status because the call is not complete.");

    /// <summary>Grpc.Core's GetTrailers: only once the call has ended.</summary>
    public Metadata GetTrailers() => _trailers ?? throw new InvalidOperationException("Can't get the call trailers because the call has not completed successfully.");

    /// <summary>Records how the call ended (once); the response headers are settled too.</summary>
    public void SetOutcome(Status status, Metadata trailers)
    {
        if (_status is not null)
        {
            return;
        }
        _trailers = trailers;
        _status = status;
        if (status.StatusCode != StatusCode.OK)
        {
            _responseHeaders.TrySetException(new RpcException(status, trailers));
        }
        else
        {
            _responseHeaders.TrySetResult([]);
        }
    }

    public string Method { get; }

    /// <summary>Fires on the caller's cancellation, the deadline, or <see cref="Cancel"/>.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>
    /// Connects if needed and sends the request headers (unflushed with <paramref name="flush"/>
    /// false: they leave with the first message); cancelling the call from now on resets the stream.
    /// </summary>
    public async Task<Http2Stream> StartAsync(bool flush = true)
    {
        var connection = await _connection.GetAsync(Token).ConfigureAwait(false);
        var stream = await connection.StartStreamAsync(_headers, endStream: false, Token, flush).ConfigureAwait(false);
        _stream = stream;
        _resetOnCancel = Token.Register(static state => ((ClientCall)state!).ResetStream(), this);
        return stream;
    }

    /// <summary>Cancels the call and resets its stream if it is still open.</summary>
    public void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
        // Also here, not only in the token callback: a caller's continuation may run inside
        // that callback and dispose the registration before it runs.
        ResetStream();
    }

    private void ResetStream() =>
        Volatile.Read(ref _stream)?.Reset(Http2ErrorCode.Cancel, new OperationCanceledException("The call was cancelled."));

    /// <summary>
    /// Waits for the response headers. Returns the final status when the call already ended
    /// there (trailers-only response or an HTTP error), null when messages may follow.
    /// </summary>
    public async Task<RpcException?> ReadHeadersAsync(Http2Stream stream)
    {
        var headers = await stream.Headers.WaitAsync(Token).ConfigureAwait(false);
        var status = HeaderFields.Find(headers, ":status");
        if (status != "200")
        {
            var code = int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var http)
                ? HttpStatusMapping.ToStatusCode((HttpStatusCode)http)
                : StatusCode.Internal;
            return new RpcException(new Status(code, $"Bad gRPC response: HTTP status {status}."));
        }
        if (ReadStatus(headers) is { } trailersOnly)
        {
            return trailersOnly;
        }
        var contentType = HeaderFields.Find(headers, "content-type");
        if (!GrpcHeaders.IsGrpcContentType(contentType))
        {
            return new RpcException(new Status(StatusCode.Unknown, $"Bad gRPC response: content-type '{contentType}'."));
        }
        _responseHeaders.TrySetResult(HeaderMetadata.From(headers));
        return null;
    }

    /// <summary>The status in the trailers, read after the response body ended.</summary>
    public static RpcException FinalStatus(Http2Stream stream) =>
        (stream.Trailers is { } trailers ? ReadStatus(trailers) : null)
        ?? new RpcException(new Status(StatusCode.Internal, "The response ended without a grpc-status trailer."));

    /// <summary>The status a trailers-only answer already gave, when the call ended that way.</summary>
    public static RpcException? EarlyStatus(Http2Stream? stream) =>
        stream is not null && stream.Headers.IsCompletedSuccessfully && stream.Trailers is { } trailers ? ReadStatus(trailers) : null;

    /// <summary>Turns whatever ended the call into the status the caller sees.</summary>
    public RpcException ToRpcException(Exception exception)
    {
        var result = Map(exception);
        if (_logger is not null)
        {
            LogCallFailed(_logger, Method, result.StatusCode, result.Status.Detail);
        }
        return result;
    }

    public void Dispose()
    {
        ResetStream();
        _resetOnCancel.Dispose();
        _cancellation.Dispose();
        _deadlineTimer?.Dispose();
    }

    private RpcException Map(Exception exception)
    {
        // Our own timer or the caller's token: whatever the transport threw as a consequence.
        if (_deadlineTimer?.IsCancellationRequested == true)
        {
            return new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded", exception));
        }
        if (_callerToken.IsCancellationRequested)
        {
            return new RpcException(new Status(StatusCode.Cancelled, "Call cancelled by the client.", exception));
        }
        return exception switch
        {
            RpcException rpc => rpc,
            OperationCanceledException => new RpcException(new Status(StatusCode.Cancelled, "Call cancelled.", exception)),
            Http2StreamException { ConnectionLost: true } lost => new RpcException(new Status(StatusCode.Unavailable, $"Error talking to the server: {lost.Message}", exception)),
            Http2StreamException reset => new RpcException(new Status(reset.ErrorCode == Http2ErrorCode.RefusedStream
                ? StatusCode.Unavailable
                : HttpStatusMapping.FromHttp2ErrorCode((long)reset.ErrorCode), $"HTTP/2 error {reset.ErrorCode}: {reset.Message}", exception)),
            IOException or ObjectDisposedException => new RpcException(new Status(StatusCode.Unavailable, $"Error talking to the server: {exception.Message}", exception)),
            _ => new RpcException(new Status(StatusCode.Unknown, $"Unexpected client error: {exception.Message}", exception)),
        };
    }

    private static RpcException? ReadStatus(List<HeaderField> fields)
    {
        if (HeaderFields.Find(fields, GrpcHeaders.Status) is not { } statusText)
        {
            return null;
        }
        if (!int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            return new RpcException(new Status(StatusCode.Unknown, $"Unparseable grpc-status '{statusText}'."));
        }
        var message = HeaderFields.Find(fields, GrpcHeaders.Message) is { } text ? StatusMessageEncoding.Decode(text) : string.Empty;
        return new RpcException(new Status((StatusCode)status, message), HeaderMetadata.From(fields));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client call {Method} ended with {StatusCode}: {Detail}")]
    private static partial void LogCallFailed(ILogger logger, string method, StatusCode statusCode, string detail);
}
