using DistTrain.Rpc.Http2;
using DistTrain.Rpc.Wire;
using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>
/// Reads length-prefixed messages from a stream's body, parsing each straight from the
/// received buffers, and gives the consumed bytes back to the peer's flow-control window.
/// </summary>
internal static class PipeMessageReader
{
    /// <summary>(false, default) when the body ended cleanly at a message boundary.</summary>
    public static async Task<(bool Found, T? Message)> ReadAsync<T>(Http2Stream stream, MessageReader<T> parser, int maxMessageSize, string side, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        var reader = stream.Body;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= MessageFrame.HeaderSize)
            {
                int length;
                try
                {
                    length = MessageFrame.ReadLength(buffer, maxMessageSize);
                }
                catch
                {
                    reader.AdvanceTo(buffer.Start);
                    throw;
                }
                if (buffer.Length - MessageFrame.HeaderSize >= length)
                {
                    var payload = buffer.Slice(MessageFrame.HeaderSize, length);
                    T message;
                    try
                    {
                        message = parser.Parse(payload);
                    }
                    catch (InvalidProtocolBufferException e)
                    {
                        reader.AdvanceTo(buffer.Start);
                        throw new RpcException(StatusCode.Internal, $"Failed to deserialize the {side} message.", e);
                    }
                    reader.AdvanceTo(payload.End);
                    stream.Consumed(MessageFrame.HeaderSize + length);
                    return (true, message);
                }
            }
            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                if (buffer.IsEmpty)
                {
                    return (false, default);
                }
                throw new RpcException(StatusCode.Internal, $"Incomplete message: the {side} stream ended inside a message.");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
