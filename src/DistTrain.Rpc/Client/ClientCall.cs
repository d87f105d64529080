using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using DistTrain.Rpc.Wire;
using Microsoft.Extensions.Logging;

namespace DistTrain.Rpc;

/// <summary>
/// What every client call shares: the HTTP/2 request with gRPC headers, the call's cancellation
/// (caller's token, deadline, disposal), reading the status from headers or trailers, and
/// turning transport failures into the status the gRPC spec names.
/// </summary>
internal sealed partial class ClientCall : IDisposable
{
    private static readonly Version Http2 = HttpVersion.Version20;

    private readonly CancellationTokenSource? _deadlineTimer;
    private readonly CancellationTokenSource _cancellation;
    private readonly CancellationToken _callerToken;
    private readonly ILogger? _logger;

    public ClientCall(Uri address, string method, CallOptions options, GrpcChannelOptions channelOptions, HttpContent content, ILogger? logger)
    {
        Method = method;
        _callerToken = options.CancellationToken;
        _logger = logger;
        TimeSpan? timeout = null;
        if (options.Deadline is { } deadline)
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

        Request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, method))
        {
            Version = Http2,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = Request.Headers;
        headers.TryAddWithoutValidation(GrpcHeaders.TE, "trailers");
        headers.TryAddWithoutValidation(GrpcHeaders.UserAgent, "disttrain-grpc/1.0");
        headers.TryAddWithoutValidation(GrpcHeaders.AcceptEncoding, GrpcHeaders.IdentityEncoding);
        if (timeout is { } t)
        {
            headers.TryAddWithoutValidation(GrpcHeaders.Timeout, GrpcTimeout.Format(t));
        }
        if (!string.IsNullOrEmpty(channelOptions.AuthToken))
        {
            headers.TryAddWithoutValidation(GrpcHeaders.Authorization, GrpcHeaders.BearerPrefix + channelOptions.AuthToken);
        }
        if (options.Headers is { } metadata)
        {
            foreach (var (key, value) in metadata)
            {
                headers.TryAddWithoutValidation(key, value);
            }
        }
        content.Headers.TryAddWithoutValidation("content-type", GrpcHeaders.ContentType);
    }

    public string Method { get; }

    public HttpRequestMessage Request { get; }

    /// <summary>Fires on the caller's cancellation, the deadline, or <see cref="Cancel"/>.</summary>
    public CancellationToken Token => _cancellation.Token;

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
    }

    /// <summary>
    /// Checks the response headers. Returns the final status when the call already ended there
    /// (trailers-only response or an HTTP error), null when messages may follow.
    /// </summary>
    public static RpcException? CheckHeaders(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var code = HttpStatusMapping.ToStatusCode(response.StatusCode);
            return new RpcException(code, $"Bad gRPC response: HTTP status {(int)response.StatusCode}.");
        }
        if (ReadStatus(response.Headers) is { } trailersOnly)
        {
            return trailersOnly;
        }
        var contentType = response.Content.Headers.TryGetValues("content-type", out var values) ? values.FirstOrDefault() : null;
        if (!GrpcHeaders.IsGrpcContentType(contentType))
        {
            return new RpcException(StatusCode.Unknown, $"Bad gRPC response: content-type '{contentType}'.");
        }
        return null;
    }

    /// <summary>The status in the trailers, read after the response body ended.</summary>
    public static RpcException FinalStatus(HttpResponseMessage response) =>
        ReadStatus(response.TrailingHeaders)
        ?? new RpcException(StatusCode.Internal, "The response ended without a grpc-status trailer.");

    /// <summary>Turns whatever ended the call into the status the caller sees.</summary>
    public RpcException ToRpcException(Exception exception)
    {
        var result = Map(exception);
        if (_logger is not null)
        {
            LogCallFailed(_logger, Method, result.StatusCode, result.Detail);
        }
        return result;
    }

    public void Dispose()
    {
        _cancellation.Dispose();
        _deadlineTimer?.Dispose();
        Request.Dispose();
    }

    private RpcException Map(Exception exception)
    {
        // Our own timer or the caller's token: whatever the transport threw as a consequence.
        if (_deadlineTimer?.IsCancellationRequested == true)
        {
            return new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded", exception);
        }
        if (_callerToken.IsCancellationRequested)
        {
            return new RpcException(StatusCode.Cancelled, "Call cancelled by the client.", exception);
        }
        if (exception is RpcException rpc)
        {
            return rpc;
        }
        if (exception is OperationCanceledException)
        {
            return new RpcException(StatusCode.Cancelled, "Call cancelled.", exception);
        }
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpProtocolException protocol)
            {
                return new RpcException(HttpStatusMapping.FromHttp2ErrorCode(protocol.ErrorCode), $"HTTP/2 error {protocol.ErrorCode}: {protocol.Message}", exception);
            }
        }
        if (exception is HttpRequestException or IOException)
        {
            return new RpcException(StatusCode.Unavailable, $"Error talking to the server: {exception.Message}", exception);
        }
        return new RpcException(StatusCode.Unknown, $"Unexpected client error: {exception.Message}", exception);
    }

    private static RpcException? ReadStatus(HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcHeaders.Status, out var statusValues))
        {
            return null;
        }
        var statusText = statusValues.FirstOrDefault();
        if (!int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            return new RpcException(StatusCode.Unknown, $"Unparseable grpc-status '{statusText}'.");
        }
        var message = headers.TryGetValues(GrpcHeaders.Message, out var messageValues)
            ? StatusMessageEncoding.Decode(messageValues.FirstOrDefault() ?? string.Empty)
            : string.Empty;
        return new RpcException((StatusCode)status, message);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client call {Method} ended with {StatusCode}: {Detail}")]
    private static partial void LogCallFailed(ILogger logger, string method, StatusCode statusCode, string detail);
}
