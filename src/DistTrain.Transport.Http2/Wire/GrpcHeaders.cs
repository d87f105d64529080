using DistTrain.Transport.Hosting;

namespace DistTrain.Transport.Http2.Wire;

/// <summary>Header names and values of the gRPC-over-HTTP/2 protocol (grpc/grpc doc/PROTOCOL-HTTP2.md).</summary>
internal static class GrpcHeaders
{
    public const string ContentType = "application/grpc";
    public const string Status = "grpc-status";
    public const string Message = "grpc-message";
    public const string Timeout = "grpc-timeout";
    public const string Encoding = "grpc-encoding";
    public const string AcceptEncoding = "grpc-accept-encoding";
    public const string Authorization = BearerTokenCheck.HeaderName;
    public const string TE = "te";
    public const string UserAgent = "user-agent";

    /// <summary>We compress nothing, so identity is all we accept.</summary>
    public const string IdentityEncoding = "identity";

    /// <summary>
    /// True for "application/grpc", "application/grpc+proto", optionally with parameters.
    /// Other codecs (e.g. +json) are not spoken here.
    /// </summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var rest = contentType.AsSpan(ContentType.Length);
        if (rest.StartsWith("+proto", StringComparison.OrdinalIgnoreCase))
        {
            rest = rest["+proto".Length..];
        }
        return rest.IsEmpty || rest[0] == ';';
    }

    /// <summary>Headers the protocol owns; they are not handed to handlers as metadata.</summary>
    public static bool IsReserved(string name) =>
        name.StartsWith(':')
        || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-type", StringComparison.OrdinalIgnoreCase)
        || name.Equals("content-length", StringComparison.OrdinalIgnoreCase)
        || name.Equals(TE, StringComparison.OrdinalIgnoreCase)
        || name.Equals("host", StringComparison.OrdinalIgnoreCase)
        || name.Equals(Authorization, StringComparison.OrdinalIgnoreCase);
}
