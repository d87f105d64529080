using DistTrain.Training.Protocol.V1;
using System.Buffers;
using DistTrain.Transport.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Training.Protocol;

/// <summary>
/// A tensor message as a small head (every other field, then the tensor field's tag and
/// length) and the tensor bytes themselves, so the bytes are never serialized through an
/// array of ours: a transport that takes a tail by reference (<see cref="ISerializationTail"/>)
/// writes them to the socket from their own memory, any other gets them written once into its
/// buffer writer. The tensor field goes last (protobuf readers accept fields in any order); the
/// total size is the one protobuf computes.
/// </summary>
internal readonly struct TensorMessageWriter
{
    /// <summary>Smaller tensors are not worth a send of their own.</summary>
    public const int MinimumTensorBytes = 64 * 1024;

    private readonly IMessage _rest;
    private readonly int _outerField;
    private readonly int _tensorField;
    private readonly int _restSize;
    private readonly int _innerLength;

    private TensorMessageWriter(IMessage rest, int outerField, int tensorField, ReadOnlyMemory<byte> tensor)
    {
        _rest = rest;
        _outerField = outerField;
        _tensorField = tensorField;
        Tensor = tensor;
        _restSize = rest.CalculateSize();
        _innerLength = _restSize + CodedOutputStream.ComputeTagSize(tensorField) + CodedOutputStream.ComputeLengthSize(tensor.Length) + tensor.Length;
        HeadSize = (outerField == 0 ? 0 : CodedOutputStream.ComputeTagSize(outerField) + CodedOutputStream.ComputeLengthSize(_innerLength))
            + _innerLength - tensor.Length;
    }

    public ReadOnlyMemory<byte> Tensor { get; }

    public int HeadSize { get; }

    /// <summary>The serialized message's size, head and tensor.</summary>
    public int Size => HeadSize + Tensor.Length;

    /// <summary>Writes the message into <paramref name="context"/>: the head, then the tensor by reference where the transport allows.</summary>
    public void WriteTo(SerializationContext context)
    {
        context.SetPayloadLength(Size);
        var writer = context.GetBufferWriter();
        WriteHead(writer.GetSpan(HeadSize));
        writer.Advance(HeadSize);
        if (context is ISerializationTail tail)
        {
            tail.CompleteWithTail(Tensor);
            return;
        }
        writer.Write(Tensor.Span);
        context.Complete();
    }

    /// <summary>Serializes a message of the training protocol: tensor messages by <see cref="WriteTo"/>, any other as protobuf would.</summary>
    public static void Serialize<T>(T message, SerializationContext context)
        where T : IMessage<T>, IBufferMessage
    {
        if (TrySplit(message, out var split))
        {
            split.WriteTo(context);
            return;
        }
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    public static bool TrySplit(IMessage message, out TensorMessageWriter split)
    {
        split = message switch
        {
            CoordinatorMessage { Weights: { } w } when Large(w.Parameters) => new(Without(w), CoordinatorMessage.WeightsFieldNumber, WeightsBroadcast.ParametersFieldNumber, w.Parameters.Memory),
            WorkerMessage { Result: { } r } when Large(r.Gradient) => new(Without(r), WorkerMessage.ResultFieldNumber, ShardResult.GradientFieldNumber, r.Gradient.Memory),
            WeightsBroadcast w when Large(w.Parameters) => new(Without(w), 0, WeightsBroadcast.ParametersFieldNumber, w.Parameters.Memory),
            ShardResult r when Large(r.Gradient) => new(Without(r), 0, ShardResult.GradientFieldNumber, r.Gradient.Memory),
            ExchangeRequest { Gradient: { } g } when Large(g.Values) => new(Without(g), ExchangeRequest.GradientFieldNumber, GradientBlock.ValuesFieldNumber, g.Values.Memory),
            ExchangeReply { Weights: { } w } when Large(w.Values) => new(Without(w), ExchangeReply.WeightsFieldNumber, WeightBlock.ValuesFieldNumber, w.Values.Memory),
            OwnerOrder { Assignment: { } a } when Large(a.Values) => new(Without(a), OwnerOrder.AssignmentFieldNumber, SliceAssignment.ValuesFieldNumber, a.Values.Memory),
            OwnerReport { State: { } st } when Large(st.Values) => new(Without(st), OwnerReport.StateFieldNumber, SliceState.ValuesFieldNumber, st.Values.Memory),
            _ => default,
        };
        return split._rest is not null;
    }

    /// <summary>Writes the head into <paramref name="destination"/> (at least <see cref="HeadSize"/> bytes).</summary>
    public void WriteHead(Span<byte> destination)
    {
        var at = 0;
        if (_outerField != 0)
        {
            at += WriteVarint(destination, WireFormat.MakeTag(_outerField, WireFormat.WireType.LengthDelimited));
            at += WriteVarint(destination[at..], (uint)_innerLength);
        }
        _rest.WriteTo(destination.Slice(at, _restSize));
        at += _restSize;
        at += WriteVarint(destination[at..], WireFormat.MakeTag(_tensorField, WireFormat.WireType.LengthDelimited));
        WriteVarint(destination[at..], (uint)Tensor.Length);
    }

    private static bool Large(ByteString bytes) => bytes.Length >= MinimumTensorBytes;

    private static WeightsBroadcast Without(WeightsBroadcast w)
    {
        var rest = w.Clone();
        rest.Parameters = ByteString.Empty;
        return rest;
    }

    private static ShardResult Without(ShardResult r)
    {
        var rest = r.Clone();
        rest.Gradient = ByteString.Empty;
        return rest;
    }

    private static GradientBlock Without(GradientBlock g) =>
        new() { Version = g.Version, Shard = g.Shard, Offset = g.Offset, Precision = g.Precision };

    private static WeightBlock Without(WeightBlock w) =>
        new() { Version = w.Version, Offset = w.Offset, Precision = w.Precision };

    private static SliceAssignment Without(SliceAssignment a)
    {
        var rest = a.Clone();
        rest.Values = ByteString.Empty;
        return rest;
    }

    private static SliceState Without(SliceState s)
    {
        var rest = s.Clone();
        rest.Values = ByteString.Empty;
        return rest;
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[at++] = (byte)value;
        return at;
    }
}
