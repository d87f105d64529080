using DistTrain.Transport.Http2.Framing;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Wire;

/// <summary>
/// Custom metadata as HTTP/2 header fields: ASCII values as they are, binary ("-bin") values
/// base64-encoded (unpadded on send, either form accepted), as PROTOCOL-HTTP2.md specifies.
/// </summary>
internal static class HeaderMetadata
{
    public static void AppendTo(List<HeaderField> fields, Metadata metadata)
    {
        foreach (var entry in metadata)
        {
            fields.Add(entry.IsBinary
                ? new HeaderField(entry.Key, Convert.ToBase64String(entry.ValueBytes).TrimEnd('='))
                : new HeaderField(entry.Key, entry.Value));
        }
    }

    /// <summary>The fields that are application metadata (reserved headers left out); malformed ones are dropped.</summary>
    public static Metadata From(List<HeaderField> fields)
    {
        var metadata = new Metadata();
        foreach (var (name, value) in fields)
        {
            if (GrpcHeaders.IsReserved(name))
            {
                continue;
            }
            try
            {
                if (name.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.Ordinal))
                {
                    metadata.Add(name, DecodeBase64(value));
                }
                else
                {
                    metadata.Add(name, value);
                }
            }
            catch (FormatException)
            {
                // Not base64: not a value we can hand on.
            }
            catch (ArgumentException)
            {
                // A key or value Metadata does not accept is not ours to pass on.
            }
        }
        return metadata;
    }

    private static byte[] DecodeBase64(string value)
    {
        var padding = (4 - (value.Length % 4)) % 4;
        return Convert.FromBase64String(padding == 0 ? value : value + new string('=', padding));
    }
}
