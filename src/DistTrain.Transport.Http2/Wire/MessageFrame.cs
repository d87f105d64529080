using System.Buffers;
using System.Buffers.Binary;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Wire;

/// <summary>
/// The length-prefixed message: a 1-byte compressed flag, a 4-byte big-endian length, the protobuf bytes.
/// </summary>
internal static class MessageFrame
{
    public const int HeaderSize = 5;

    public static void WriteHeader(Span<byte> destination, int messageSize)
    {
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)messageSize);
    }

    /// <summary>
    /// Reads a frame header, throwing the status the spec asks for when the message is compressed
    /// (we negotiate identity only) or longer than <paramref name="maxMessageSize"/>.
    /// </summary>
    public static int ReadLength(ReadOnlySpan<byte> header, int maxMessageSize)
    {
        var flag = header[0];
        if (flag == 1)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Received a compressed message, but no compression was negotiated (grpc-encoding is identity)."));
        }
        if (flag != 0)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Invalid message flag {flag}."));
        }
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxMessageSize)
        {
            throw TooLarge(length, maxMessageSize, receivingSide: true);
        }
        return (int)length;
    }

    public static int ReadLength(in ReadOnlySequence<byte> header, int maxMessageSize)
    {
        Span<byte> bytes = stackalloc byte[HeaderSize];
        header.Slice(0, HeaderSize).CopyTo(bytes);
        return ReadLength(bytes, maxMessageSize);
    }

    public static RpcException TooLarge(long size, int maxMessageSize, bool receivingSide) =>
        new(new Status(StatusCode.ResourceExhausted, receivingSide
            ? $"Received message larger than max ({size} vs. {maxMessageSize})"
            : $"Sending message larger than max ({size} vs. {maxMessageSize})"));
}
