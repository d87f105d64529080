using System.Buffers;
using System.Net;
using DistTrain.Rpc.Wire;
using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>The single length-prefixed request of a unary call, serialized into a pooled buffer.</summary>
internal sealed class UnaryRequestContent(IMessage message, int size) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var frameSize = MessageFrame.HeaderSize + size;
        var buffer = ArrayPool<byte>.Shared.Rent(frameSize);
        try
        {
            MessageFrame.WriteHeader(buffer, size);
            message.WriteTo(buffer.AsSpan(MessageFrame.HeaderSize, size));
            await stream.WriteAsync(buffer.AsMemory(0, frameSize), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // No content-length: gRPC requests are streams of frames.
    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
