using DistTrain.Transport.Hosting;
using DistTrain.Transport.Http2.Framing;
using DistTrain.Transport.Http2.Wire;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2.Server;

/// <summary>
/// Runs each new HTTP/2 stream: checks that it is a gRPC call we may serve (HTTP method,
/// content type, bearer token, method name, encoding, timeout) and runs it.
/// </summary>
internal sealed partial class CallDispatcher(
    IReadOnlyDictionary<string, ServerMethod> methods,
    GrpcServerOptions options,
    ILogger logger)
{
    private readonly BearerTokenCheck? _tokenCheck = BearerTokenCheck.For(options.AuthToken);

    public async Task HandleAsync(Http2Stream stream, string peer)
    {
        try
        {
            await DispatchAsync(stream, peer).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or Http2StreamException)
        {
            // The stream or connection went away while we answered; nothing is left to tell.
            stream.Reset(Http2ErrorCode.Cancel);
        }
    }

    private async Task DispatchAsync(Http2Stream stream, string peer)
    {
        var request = await stream.Headers.ConfigureAwait(false);
        var method = HeaderFields.Find(request, ":path") ?? string.Empty;
        if (HeaderFields.Find(request, ":method") != "POST")
        {
            LogRejected(logger, method, peer, "HTTP method is not POST");
            await EndAsync(stream, ResponseHeaders.HttpError(405)).ConfigureAwait(false);
            return;
        }
        if (!GrpcHeaders.IsGrpcContentType(HeaderFields.Find(request, "content-type")))
        {
            LogRejected(logger, method, peer, "content-type is not application/grpc");
            await EndAsync(stream, ResponseHeaders.HttpError(415)).ConfigureAwait(false);
            return;
        }
        // Authentication first, so an unauthenticated client cannot probe which methods exist.
        if (_tokenCheck is not null && !_tokenCheck.Admits(method, HeaderFields.Find(request, GrpcHeaders.Authorization)))
        {
            await RejectAsync(stream, method, peer, StatusCode.Unauthenticated, BearerTokenCheck.Refusal).ConfigureAwait(false);
            return;
        }
        if (!methods.TryGetValue(method, out var serverMethod))
        {
            await RejectAsync(stream, method, peer, StatusCode.Unimplemented, $"Method is unimplemented: {method}").ConfigureAwait(false);
            return;
        }
        var encoding = HeaderFields.Find(request, GrpcHeaders.Encoding) ?? string.Empty;
        if (encoding.Length > 0 && !encoding.Equals(GrpcHeaders.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
        {
            await RejectAsync(stream, method, peer, StatusCode.Unimplemented, $"Message encoding '{encoding}' is not supported; see grpc-accept-encoding.").ConfigureAwait(false);
            return;
        }
        TimeSpan? timeout = null;
        if (HeaderFields.Find(request, GrpcHeaders.Timeout) is { Length: > 0 } timeoutText)
        {
            if (GrpcTimeout.TryParse(timeoutText, out var parsed))
            {
                timeout = parsed;
            }
            else
            {
                LogBadTimeout(logger, method, peer, timeoutText);
            }
        }

        var start = new CallStart(method, HeaderFields.Find(request, ":authority") ?? string.Empty, peer, HeaderMetadata.From(request), timeout);
        using var call = new ServerCall(stream, start, options.MaxReceiveMessageSize, options.MaxSendMessageSize, logger);
        await call.RunAsync(serverMethod).ConfigureAwait(false);
    }

    /// <summary>Trailers-only response: the status goes in the only headers frame.</summary>
    private Task RejectAsync(Http2Stream stream, string method, string peer, StatusCode code, string detail)
    {
        LogRejectedWithStatus(logger, method, peer, code, detail);
        return EndAsync(stream, ResponseHeaders.Final(new Status(code, detail), trailersOnly: true));
    }

    private static async Task EndAsync(Http2Stream stream, IReadOnlyList<HeaderField> headers)
    {
        await stream.SendHeadersAsync(headers, endStream: true).ConfigureAwait(false);
        if (!stream.RemoteEnded)
        {
            // Whatever the client still sends is not wanted.
            stream.Reset(Http2ErrorCode.NoError);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected request {Method} from {Peer}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string method, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected call {Method} from {Peer} with {StatusCode}: {Detail}")]
    private static partial void LogRejectedWithStatus(ILogger logger, string method, string peer, StatusCode statusCode, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored malformed grpc-timeout '{Timeout}' of {Method} from {Peer}")]
    private static partial void LogBadTimeout(ILogger logger, string method, string peer, string timeout);
}
