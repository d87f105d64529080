namespace DistTrain.Transport.Http2.Framing;

/// <summary>Thrown for any malformed header block; the connection maps it to COMPRESSION_ERROR.</summary>
internal sealed class HpackException(string message) : Exception(message);
