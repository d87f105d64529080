using System.Buffers;
using DistTrain.Training.Protocol.V1;
using DistTrain.Transport.Buffers;
using Google.Protobuf;

namespace DistTrain.Training.Protocol;

/// <summary>
/// Readers for the messages that carry tensors: the same result as protobuf's parser, but the
/// tensor bytes are a <see cref="ReceivedTensor"/> (give them back with <see cref="ReceivedTensor.Release(Google.Protobuf.ByteString)"/>).
/// Only the form protobuf itself writes is read here: each known field at most once, no unknown
/// fields. Anything else, malformed input included, goes to protobuf's parser unchanged.
/// </summary>
internal static class TensorMessageReaders
{
    private const int WeightsField = 2; // CoordinatorMessage.weights
    private const int ResultField = 2; // WorkerMessage.result

    public static WeightsBroadcast ReadWeights(ReadOnlySequence<byte> payload, IPayloadRetention? retention) =>
        TryReadWeights(payload, retention) ?? WeightsBroadcast.Parser.ParseFrom(payload);

    public static ShardResult ReadResult(ReadOnlySequence<byte> payload, IPayloadRetention? retention) =>
        TryReadResult(payload, retention) ?? ShardResult.Parser.ParseFrom(payload);

    public static CoordinatorMessage ReadCoordinatorMessage(ReadOnlySequence<byte> payload, IPayloadRetention? retention) =>
        TryReadOnly(payload, WeightsField, out var inner) && TryReadWeights(inner, retention) is { } weights
            ? new CoordinatorMessage { Weights = weights }
            : CoordinatorMessage.Parser.ParseFrom(payload);

    public static WorkerMessage ReadWorkerMessage(ReadOnlySequence<byte> payload, IPayloadRetention? retention) =>
        TryReadOnly(payload, ResultField, out var inner) && TryReadResult(inner, retention) is { } result
            ? new WorkerMessage { Result = result }
            : WorkerMessage.Parser.ParseFrom(payload);

    public static ExchangeRequest ReadExchangeRequest(ReadOnlySequence<byte> payload, IPayloadRetention? retention) =>
        TryReadOnly(payload, ExchangeRequest.GradientFieldNumber, out var inner) && TryReadGradientBlock(inner, retention) is { } block
            ? new ExchangeRequest { Gradient = block }
            : ExchangeRequest.Parser.ParseFrom(payload);

    public static ExchangeReply ReadExchangeReply(ReadOnlySequence<byte> payload, IPayloadRetention? retention) =>
        TryReadOnly(payload, ExchangeReply.WeightsFieldNumber, out var inner) && TryReadWeightBlock(inner, retention) is { } block
            ? new ExchangeReply { Weights = block }
            : ExchangeReply.Parser.ParseFrom(payload);

    public static OwnerReport ReadOwnerReport(ReadOnlySequence<byte> payload, IPayloadRetention? retention) =>
        TryReadOnly(payload, OwnerReport.StateFieldNumber, out var inner) && TryReadSliceState(inner, retention) is { } state
            ? new OwnerReport { State = state }
            : OwnerReport.Parser.ParseFrom(payload);

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

    private static WeightsBroadcast? TryReadWeights(ReadOnlySequence<byte> payload, IPayloadRetention? retention)
    {
        var message = new WeightsBroadcast();
        if (!TryReadFields(payload, message, lastField: 3, WeightsBroadcast.ParametersFieldNumber, fixed64Field: 0, static (m, field, value) =>
        {
            switch (field)
            {
                case WeightsBroadcast.VersionFieldNumber: m.Version = value; return true;
                case WeightsBroadcast.PrecisionFieldNumber: m.Precision = (WirePrecision)(int)value; return true;
            }
            return false;
        }, out var parameters))
        {
            return null;
        }
        message.Parameters = ReceivedTensor.Take(parameters, retention);
        return message;
    }

    private static ShardResult? TryReadResult(ReadOnlySequence<byte> payload, IPayloadRetention? retention)
    {
        var message = new ShardResult();
        if (!TryReadFields(payload, message, lastField: 9, ShardResult.GradientFieldNumber, ShardResult.LossSumFieldNumber, static (m, field, value) =>
        {
            switch (field)
            {
                case ShardResult.TaskIdFieldNumber: m.TaskId = value; return true;
                case ShardResult.VersionFieldNumber: m.Version = value; return true;
                case ShardResult.ShardIndexFieldNumber: m.ShardIndex = (uint)value; return true;
                case ShardResult.SampleCountFieldNumber: m.SampleCount = (uint)value; return true;
                case ShardResult.LossSumFieldNumber: m.LossSum = BitConverter.UInt64BitsToDouble(value); return true;
                case ShardResult.CorrectFieldNumber: m.Correct = (uint)value; return true;
                case ShardResult.PrecisionFieldNumber: m.Precision = (WirePrecision)(int)value; return true;
                case ShardResult.ComputeMicrosFieldNumber: m.ComputeMicros = value; return true;
            }
            return false;
        }, out var gradient))
        {
            return null;
        }
        message.Gradient = ReceivedTensor.Take(gradient, retention);
        return message;
    }

    private static GradientBlock? TryReadGradientBlock(ReadOnlySequence<byte> payload, IPayloadRetention? retention)
    {
        var message = new GradientBlock();
        if (!TryReadFields(payload, message, lastField: 6, GradientBlock.ValuesFieldNumber, fixed64Field: 0, static (m, field, value) =>
        {
            switch (field)
            {
                case GradientBlock.VersionFieldNumber: m.Version = value; return true;
                case GradientBlock.ShardFieldNumber: m.Shard = (uint)value; return true;
                case GradientBlock.OffsetFieldNumber: m.Offset = (uint)value; return true;
                case GradientBlock.PrecisionFieldNumber: m.Precision = (WirePrecision)(int)value; return true;
            }
            return false;
        }, out var values, GradientBlock.SentMapFieldNumber, out var sentMap))
        {
            return null;
        }
        message.Values = ReceivedTensor.Take(values, retention);
        if (!sentMap.IsEmpty)
        {
            message.SentMap = ByteString.CopyFrom(sentMap.ToArray());
        }
        return message;
    }

    private static WeightBlock? TryReadWeightBlock(ReadOnlySequence<byte> payload, IPayloadRetention? retention)
    {
        var message = new WeightBlock();
        if (!TryReadFields(payload, message, lastField: 5, WeightBlock.ValuesFieldNumber, fixed64Field: 0, static (m, field, value) =>
        {
            switch (field)
            {
                case WeightBlock.VersionFieldNumber: m.Version = value; return true;
                case WeightBlock.OffsetFieldNumber: m.Offset = (uint)value; return true;
                case WeightBlock.PrecisionFieldNumber: m.Precision = (WirePrecision)(int)value; return true;
            }
            return false;
        }, out var values, WeightBlock.DeltaMapFieldNumber, out var deltaMap))
        {
            return null;
        }
        message.Values = ReceivedTensor.Take(values, retention);
        if (!deltaMap.IsEmpty)
        {
            message.DeltaMap = ByteString.CopyFrom(deltaMap.ToArray());
        }
        return message;
    }

    /// <summary>A state without a problem (the string field makes protobuf's parser read the rest).</summary>
    private static SliceState? TryReadSliceState(ReadOnlySequence<byte> payload, IPayloadRetention? retention)
    {
        var message = new SliceState();
        if (!TryReadFields(payload, message, lastField: 4, SliceState.ValuesFieldNumber, fixed64Field: 0, static (m, field, value) =>
        {
            switch (field)
            {
                case SliceState.VersionFieldNumber: m.Version = value; return true;
                case SliceState.OptimizerStepsFieldNumber: m.OptimizerSteps = value; return true;
            }
            return false;
        }, out var values))
        {
            return null;
        }
        message.Values = ReceivedTensor.Take(values, retention);
        return message;
    }

    /// <summary>
    /// Reads fields 1..<paramref name="lastField"/>, each at most once: the tensor (length-delimited),
    /// <paramref name="fixed64Field"/> (fixed64, 0 for none) and varints, handing the scalars to
    /// <paramref name="set"/> (false for a field it does not take, such as a string). False on
    /// anything else, which protobuf's parser then reads.
    /// </summary>
    private static bool TryReadFields<T>(ReadOnlySequence<byte> payload, T message, int lastField, int tensorField, int fixed64Field,
        Func<T, int, ulong, bool> set, out ReadOnlySequence<byte> tensor) =>
        TryReadFields(payload, message, lastField, tensorField, fixed64Field, set, out tensor, bytesField: 0, out _);

    /// <summary>As above, with one more length-delimited field, <paramref name="bytesField"/>, read into <paramref name="bytes"/>.</summary>
    private static bool TryReadFields<T>(ReadOnlySequence<byte> payload, T message, int lastField, int tensorField, int fixed64Field,
        Func<T, int, ulong, bool> set, out ReadOnlySequence<byte> tensor, int bytesField, out ReadOnlySequence<byte> bytes)
    {
        tensor = default;
        bytes = default;
        var seen = 0;
        var reader = new ProtoReader(payload);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wireType) || field > lastField || (seen & (1 << field)) != 0)
            {
                return false;
            }
            seen |= 1 << field;
            ulong value = 0;
            var read = field == tensorField ? wireType == ProtoReader.LengthDelimited && reader.TryReadLengthDelimited(out tensor)
                : field == bytesField ? wireType == ProtoReader.LengthDelimited && reader.TryReadLengthDelimited(out bytes)
                : field == fixed64Field ? wireType == ProtoReader.Fixed64 && reader.TryReadFixed64(out value)
                : wireType == ProtoReader.Varint && reader.TryReadVarint(out value);
            if (!read)
            {
                return false;
            }
            if (field != tensorField && field != bytesField && !set(message, field, value))
            {
                return false;
            }
        }
        return true;
    }
}
