using System.Buffers;
using DistTrain.Rpc.Wire;
using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>Reads length-prefixed messages from a response body, parsing each from a pooled buffer.</summary>
internal sealed class ResponseMessageReader(Stream stream, int maxMessageSize)
{
    private readonly byte[] _header = new byte[MessageFrame.HeaderSize];

    /// <summary>(false, default) when the body ended cleanly at a message boundary.</summary>
    public async Task<(bool Found, T? Message)> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        var read = await stream.ReadAtLeastAsync(_header, MessageFrame.HeaderSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return (false, default);
        }
        if (read < MessageFrame.HeaderSize)
        {
            throw Incomplete();
        }
        var length = MessageFrame.ReadLength(_header, maxMessageSize);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var payload = buffer.AsMemory(0, length);
            if (await stream.ReadAtLeastAsync(payload, length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < length)
            {
                throw Incomplete();
            }
            try
            {
                return (true, parser.ParseFrom(payload.Span));
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(StatusCode.Internal, "Failed to deserialize the response message.", e);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static RpcException Incomplete() =>
        new(StatusCode.Internal, "Incomplete message: the response ended inside a message.");
}
