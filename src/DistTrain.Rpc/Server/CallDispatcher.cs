using System.Globalization;
using System.Net.Sockets;
using DistTrain.Rpc.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DistTrain.Rpc;

/// <summary>
/// Kestrel's request delegate: checks that a request is a gRPC call we may serve (HTTP method,
/// content type, bearer token, method name, encoding, timeout) and runs it.
/// </summary>
internal sealed partial class CallDispatcher(
    IReadOnlyDictionary<string, ServerMethod> methods,
    GrpcServerOptions options,
    ILogger logger)
{
    private readonly BearerTokenCheck? _tokenCheck = string.IsNullOrEmpty(options.AuthToken) ? null : new BearerTokenCheck(options.AuthToken);

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var response = http.Response;
        var peer = Peer(http);
        var method = request.Path.Value ?? string.Empty;
        if (!HttpMethods.IsPost(request.Method))
        {
            LogRejected(logger, method, peer, "HTTP method is not POST");
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        if (!GrpcHeaders.IsGrpcContentType(request.ContentType))
        {
            LogRejected(logger, method, peer, "content-type is not application/grpc");
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        response.ContentType = GrpcHeaders.ContentType;
        response.Headers[GrpcHeaders.AcceptEncoding] = GrpcHeaders.IdentityEncoding;

        // Authentication first, so an unauthenticated client cannot probe which methods exist.
        if (_tokenCheck is not null
            && !method.StartsWith(GrpcHeaders.HealthServicePrefix, StringComparison.Ordinal)
            && !_tokenCheck.Accepts(request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null))
        {
            Reject(http, method, peer, StatusCode.Unauthenticated, "Missing or invalid bearer token.");
            return;
        }
        if (!methods.TryGetValue(method, out var serverMethod))
        {
            Reject(http, method, peer, StatusCode.Unimplemented, $"Method is unimplemented: {method}");
            return;
        }
        var encoding = request.Headers[GrpcHeaders.Encoding].ToString();
        if (encoding.Length > 0 && !encoding.Equals(GrpcHeaders.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
        {
            Reject(http, method, peer, StatusCode.Unimplemented, $"Message encoding '{encoding}' is not supported; see grpc-accept-encoding.");
            return;
        }
        TimeSpan? timeout = null;
        var timeoutText = request.Headers[GrpcHeaders.Timeout].ToString();
        if (timeoutText.Length > 0)
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

        using var call = new ServerCall(http, method, peer, RequestMetadata(request), timeout, options, logger);
        await call.RunAsync(serverMethod).ConfigureAwait(false);
    }

    /// <summary>Trailers-only response: the status goes in the only headers frame.</summary>
    private void Reject(HttpContext http, string method, string peer, StatusCode code, string detail)
    {
        LogRejectedWithStatus(logger, method, peer, code, detail);
        http.Response.Headers[GrpcHeaders.Status] = ((int)code).ToString(CultureInfo.InvariantCulture);
        http.Response.Headers[GrpcHeaders.Message] = StatusMessageEncoding.Encode(detail);
    }

    private static Metadata RequestMetadata(HttpRequest request)
    {
        var metadata = new Metadata();
        foreach (var header in request.Headers)
        {
            if (GrpcHeaders.IsReserved(header.Key) || header.Key.EndsWith("-bin", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            foreach (var value in header.Value)
            {
                if (value is not null)
                {
                    metadata.Add(header.Key, value);
                }
            }
        }
        return metadata;
    }

    private static string Peer(HttpContext http)
    {
        var connection = http.Connection;
        if (connection.RemoteIpAddress is not { } address)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var port = connection.RemotePort.ToString(CultureInfo.InvariantCulture);
        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"ipv6:[{address}]:{port}"
            : $"ipv4:{address}:{port}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected request {Method} from {Peer}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string method, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected call {Method} from {Peer} with {StatusCode}: {Detail}")]
    private static partial void LogRejectedWithStatus(ILogger logger, string method, string peer, StatusCode statusCode, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored malformed grpc-timeout '{Timeout}' of {Method} from {Peer}")]
    private static partial void LogBadTimeout(ILogger logger, string method, string peer, string timeout);
}
