using System.Buffers.Binary;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>HTTP/2 frame types (RFC 9113 section 6).</summary>
internal enum FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    Priority = 0x2,
    RstStream = 0x3,
    Settings = 0x4,
    PushPromise = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    WindowUpdate = 0x8,
    Continuation = 0x9,
}

internal static class FrameFlags
{
    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte Priority = 0x20;
}

/// <summary>HTTP/2 error codes (RFC 9113 section 7).</summary>
internal enum Http2ErrorCode : uint
{
    NoError = 0x0,
    ProtocolError = 0x1,
    InternalError = 0x2,
    FlowControlError = 0x3,
    SettingsTimeout = 0x4,
    StreamClosed = 0x5,
    FrameSizeError = 0x6,
    RefusedStream = 0x7,
    Cancel = 0x8,
    CompressionError = 0x9,
    ConnectError = 0xA,
    EnhanceYourCalm = 0xB,
    InadequateSecurity = 0xC,
    Http11Required = 0xD,
}

internal enum SettingId : ushort
{
    HeaderTableSize = 0x1,
    EnablePush = 0x2,
    MaxConcurrentStreams = 0x3,
    InitialWindowSize = 0x4,
    MaxFrameSize = 0x5,
    MaxHeaderListSize = 0x6,
}

/// <summary>The 9-byte header in front of every frame.</summary>
internal readonly record struct FrameHeader(int Length, FrameType Type, byte Flags, int StreamId)
{
    public const int Size = 9;

    /// <summary>The smallest SETTINGS_MAX_FRAME_SIZE a peer may announce, and the default.</summary>
    public const int DefaultMaxFrameSize = 16384;

    public const int LargestMaxFrameSize = (1 << 24) - 1;

    public bool Has(byte flag) => (Flags & flag) != 0;

    public static FrameHeader Read(ReadOnlySpan<byte> source) => new(
        (source[0] << 16) | (source[1] << 8) | source[2],
        (FrameType)source[3],
        source[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(source[5..]) & 0x7FFF_FFFF));

    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)(Length >> 16);
        destination[1] = (byte)(Length >> 8);
        destination[2] = (byte)Length;
        destination[3] = (byte)Type;
        destination[4] = Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)StreamId);
    }
}

/// <summary>A connection error: the connection ends with GOAWAY carrying this code.</summary>
internal sealed class Http2ConnectionException(Http2ErrorCode code, string message) : Exception(message)
{
    public Http2ErrorCode ErrorCode { get; } = code;
}

/// <summary>The peer reset the stream, or the connection ended under it.</summary>
internal sealed class Http2StreamException(Http2ErrorCode code, string message, bool connectionLost = false) : IOException(message)
{
    public Http2ErrorCode ErrorCode { get; } = code;

    /// <summary>True when the whole connection failed or closed rather than this stream being reset.</summary>
    public bool ConnectionLost { get; } = connectionLost;
}
