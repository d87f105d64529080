using System.Globalization;
using DistTrain.Transport.Http2.Framing;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Wire;

/// <summary>The header blocks a server sends: response headers, trailers, trailers-only, plain HTTP errors.</summary>
internal static class ResponseHeaders
{
    public static readonly IReadOnlyList<HeaderField> Start =
    [
        new(":status", "200"),
        new("content-type", GrpcHeaders.ContentType),
        new(GrpcHeaders.AcceptEncoding, GrpcHeaders.IdentityEncoding),
    ];

    /// <summary>The response headers with the handler's own metadata.</summary>
    public static IReadOnlyList<HeaderField> StartWith(Metadata? metadata)
    {
        if (metadata is null || metadata.Count == 0)
        {
            return Start;
        }
        var fields = new List<HeaderField>(Start);
        HeaderMetadata.AppendTo(fields, metadata);
        return fields;
    }

    /// <summary>
    /// The trailers, or with <paramref name="trailersOnly"/> the only header block of a call that
    /// sent no message; <paramref name="trailers"/> are the handler's own.
    /// </summary>
    public static List<HeaderField> Final(Status status, bool trailersOnly, Metadata? trailers = null)
    {
        var fields = trailersOnly ? new List<HeaderField>(Start) : [];
        fields.Add(new(GrpcHeaders.Status, ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture)));
        if (status.Detail.Length > 0)
        {
            fields.Add(new(GrpcHeaders.Message, StatusMessageEncoding.Encode(status.Detail)));
        }
        if (trailers is not null)
        {
            HeaderMetadata.AppendTo(fields, trailers);
        }
        return fields;
    }

    /// <summary>An HTTP status without gRPC (the request was not a gRPC call at all).</summary>
    public static List<HeaderField> HttpError(int status) =>
        [new(":status", status.ToString(CultureInfo.InvariantCulture))];
}
