using System.Globalization;
using DistTrain.Rpc.Http2;

namespace DistTrain.Rpc.Wire;

/// <summary>The header blocks a server sends: response headers, trailers, trailers-only, plain HTTP errors.</summary>
internal static class ResponseHeaders
{
    public static readonly IReadOnlyList<HeaderField> Start =
    [
        new(":status", "200"),
        new("content-type", GrpcHeaders.ContentType),
        new(GrpcHeaders.AcceptEncoding, GrpcHeaders.IdentityEncoding),
    ];

    /// <summary>The trailers, or with <paramref name="trailersOnly"/> the only header block of a call that sent no message.</summary>
    public static List<HeaderField> Final(StatusCode code, string detail, bool trailersOnly)
    {
        var fields = trailersOnly ? new List<HeaderField>(Start) : [];
        fields.Add(new(GrpcHeaders.Status, ((int)code).ToString(CultureInfo.InvariantCulture)));
        if (detail.Length > 0)
        {
            fields.Add(new(GrpcHeaders.Message, StatusMessageEncoding.Encode(detail)));
        }
        return fields;
    }

    /// <summary>An HTTP status without gRPC (the request was not a gRPC call at all).</summary>
    public static List<HeaderField> HttpError(int status) =>
        [new(":status", status.ToString(CultureInfo.InvariantCulture))];
}
