using DistTrain.Transport.Http2.Framing;
using DistTrain.Transport.Http2.Wire;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Calls;

/// <summary>
/// Reads length-prefixed messages from a stream's body, handing each payload to the
/// marshaller's deserializer straight from the received buffers, and gives the consumed bytes
/// back to the peer's flow-control window.
/// </summary>
internal static class MessageReader
{
    /// <summary>(false, default) when the body ended cleanly at a message boundary.</summary>
    public static async Task<(bool Found, T? Message)> ReadAsync<T>(Http2Stream stream, Func<DeserializationContext, T> deserialize, int maxMessageSize, string side, CancellationToken cancellationToken)
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
                    var context = new IncomingMessage();
                    context.Reset(payload);
                    try
                    {
                        message = deserialize(context);
                    }
                    catch (Exception e)
                    {
                        reader.AdvanceTo(buffer.Start);
                        throw new RpcException(new Status(StatusCode.Internal, $"Failed to deserialize the {side} message.", e));
                    }
                    finally
                    {
                        context.Reset(default);
                    }
                    reader.AdvanceTo(payload.End);
                    stream.MarkPartial(false);
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
                throw new RpcException(new Status(StatusCode.Internal, $"Incomplete message: the {side} stream ended inside a message."));
            }
            // Part of a message is here and the rest is awaited: a peer that stops mid-message is cut off by the stall timeout.
            stream.MarkPartial(!buffer.IsEmpty);
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
