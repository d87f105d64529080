using System.Buffers;
using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>
/// How a method's received messages are parsed: protobuf's own parser (any
/// <see cref="MessageParser{T}"/> converts to one), or a reader of our own such as
/// <see cref="Tensors.TensorMessageReaders"/>, which leaves tensor bytes in the received (pooled) buffers.
/// Malformed input throws <see cref="InvalidProtocolBufferException"/>.
/// </summary>
public sealed class MessageReader<T>(Func<ReadOnlySequence<byte>, T> parse)
    where T : IMessage<T>
{
    internal T Parse(ReadOnlySequence<byte> payload) => parse(payload);

    public static implicit operator MessageReader<T>(MessageParser<T> parser) => new(parser.ParseFrom);
}
