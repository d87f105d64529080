using System.Buffers;
using DistTrain.Rpc.V1;

namespace DistTrain.Rpc.Tensors;

/// <summary>
/// Readers for the messages that carry tensors: the same result as protobuf's parser, but the
/// tensor bytes go into a pooled array (give it back with <see cref="TensorBuffers.Return"/>).
/// Only the form protobuf itself writes is read here: each known field at most once, no unknown
/// fields. Anything else, malformed input included, goes to protobuf's parser unchanged.
/// </summary>
public static class TensorMessageReaders
{
    private const int WeightsField = 2; // CoordinatorMessage.weights
    private const int ResultField = 2; // WorkerMessage.result

    public static readonly MessageReader<WeightsBroadcast> Weights =
        new(payload => TryReadWeights(payload) ?? WeightsBroadcast.Parser.ParseFrom(payload));

    public static readonly MessageReader<ShardResult> Result =
        new(payload => TryReadResult(payload) ?? ShardResult.Parser.ParseFrom(payload));

    public static readonly MessageReader<CoordinatorMessage> Coordinator =
        new(payload => TryReadOnly(payload, WeightsField, out var inner) && TryReadWeights(inner) is { } weights
            ? new CoordinatorMessage { Weights = weights }
            : CoordinatorMessage.Parser.ParseFrom(payload));

    public static readonly MessageReader<WorkerMessage> Worker =
        new(payload => TryReadOnly(payload, ResultField, out var inner) && TryReadResult(inner) is { } result
            ? new WorkerMessage { Result = result }
            : WorkerMessage.Parser.ParseFrom(payload));

    /// <summary>True when the payload is exactly one length-delimited field <paramref name="field"/>.</summary>
    private static bool TryReadOnly(ReadOnlySequence<byte> payload, int field, out ReadOnlySequence<byte> inner)
    {
        inner = default;
        var reader = new ProtoReader(payload);
        return reader.TryReadTag(out var number, out var wireType)
            && number == field && wireType == ProtoReader.LengthDelimited
            && reader.TryReadLengthDelimited(out inner)
            && reader.End;
    }

    private static WeightsBroadcast? TryReadWeights(ReadOnlySequence<byte> payload)
    {
        var message = new WeightsBroadcast();
        var seen = 0;
        ReadOnlySequence<byte> parameters = default;
        var reader = new ProtoReader(payload);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wireType) || field > 3 || (seen & (1 << field)) != 0)
            {
                return null;
            }
            seen |= 1 << field;
            ulong value = 0;
            var read = field == 3
                ? wireType == ProtoReader.LengthDelimited && reader.TryReadLengthDelimited(out parameters)
                : wireType == ProtoReader.Varint && reader.TryReadVarint(out value);
            if (!read)
            {
                return null;
            }
            switch (field)
            {
                case 1: message.Version = value; break;
                case 2: message.Precision = (WirePrecision)(int)value; break;
            }
        }
        message.Parameters = TensorBuffers.Rent(parameters);
        return message;
    }

    private static ShardResult? TryReadResult(ReadOnlySequence<byte> payload)
    {
        var message = new ShardResult();
        var seen = 0;
        ReadOnlySequence<byte> gradient = default;
        var reader = new ProtoReader(payload);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wireType) || field > 9 || (seen & (1 << field)) != 0)
            {
                return null;
            }
            seen |= 1 << field;
            ulong value = 0;
            var read = field switch
            {
                8 => wireType == ProtoReader.LengthDelimited && reader.TryReadLengthDelimited(out gradient),
                5 => wireType == ProtoReader.Fixed64 && reader.TryReadFixed64(out value),
                _ => wireType == ProtoReader.Varint && reader.TryReadVarint(out value),
            };
            if (!read)
            {
                return null;
            }
            switch (field)
            {
                case 1: message.TaskId = value; break;
                case 2: message.Version = value; break;
                case 3: message.ShardIndex = (uint)value; break;
                case 4: message.SampleCount = (uint)value; break;
                case 5: message.LossSum = BitConverter.UInt64BitsToDouble(value); break;
                case 6: message.Correct = (uint)value; break;
                case 7: message.Precision = (WirePrecision)(int)value; break;
                case 9: message.ComputeMicros = value; break;
            }
        }
        message.Gradient = TensorBuffers.Rent(gradient);
        return message;
    }
}
