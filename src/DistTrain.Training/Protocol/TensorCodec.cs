global using V1Precision = DistTrain.Training.Protocol.V1.WirePrecision;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using DistTrain.Training.Configuration;
using Google.Protobuf;

namespace DistTrain.Training.Protocol;

/// <summary>
/// Tensors on the wire: raw little-endian float32, or bfloat16 (the upper 16 bits of a float32,
/// rounded to nearest even) to halve the traffic. The coordinator keeps float32 master weights.
/// </summary>
public static class TensorCodec
{
    public static int BytesPerValue(WirePrecisionKind precision) => precision == WirePrecisionKind.Bf16 ? 2 : 4;

    /// <summary>
    /// The weights to broadcast: fp32 on a little-endian host is the parameter array itself
    /// (no copy; it must not change until the message has been written), anything else is
    /// encoded into <paramref name="buffer"/> as by <see cref="EncodeInto"/>.
    /// </summary>
    public static ByteString Broadcast(ReadOnlyMemory<float> values, WirePrecisionKind precision, ref byte[] buffer)
    {
        if (precision == WirePrecisionKind.Fp32 && BitConverter.IsLittleEndian
            && MemoryMarshal.TryGetArray(values, out var segment) && segment.Array is { } array)
        {
            return UnsafeByteOperations.UnsafeWrap(new FloatArrayBytes(array, segment.Offset, segment.Count).Memory);
        }
        return EncodeInto(values.Span, precision, ref buffer);
    }

    /// <summary>
    /// <paramref name="values"/> as little-endian float32 bytes: the array itself on a little-endian
    /// host (it must not change until the message has been written), a copy otherwise.
    /// </summary>
    public static ByteString Fp32Bytes(float[] values) =>
        BitConverter.IsLittleEndian
            ? UnsafeByteOperations.UnsafeWrap(new FloatArrayBytes(values, 0, values.Length).Memory)
            : ByteString.CopyFrom(WeightsHash.LittleEndianBytes(values));

    /// <summary>
    /// Encodes into <paramref name="buffer"/> (grown when too small) and wraps it without a copy;
    /// the caller must not reuse the buffer until the message has been written.
    /// </summary>
    public static ByteString EncodeInto(ReadOnlySpan<float> values, WirePrecisionKind precision, ref byte[] buffer)
    {
        var length = values.Length * BytesPerValue(precision);
        if (buffer.Length < length)
        {
            buffer = new byte[length];
        }
        var bytes = buffer.AsSpan(0, length);
        if (precision == WirePrecisionKind.Fp32)
        {
            WeightsHash.LittleEndianBytes(values).CopyTo(bytes);
        }
        else
        {
            EncodeBf16(values, bytes);
        }
        return UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, length));
    }

    /// <summary>Decodes into <paramref name="destination"/>; false when the byte count does not match.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, WirePrecisionKind precision, Span<float> destination)
    {
        if (bytes.Length != destination.Length * BytesPerValue(precision))
        {
            return false;
        }
        if (precision == WirePrecisionKind.Fp32)
        {
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
            }
            else
            {
                WeightsHash.FromLittleEndianBytes(bytes, destination);
            }
            return true;
        }
        DecodeBf16(bytes, destination);
        return true;
    }

    /// <summary>bfloat16 encoding, vectorized where the machine allows; the same bits as <see cref="ToBf16"/> per value.</summary>
    internal static void EncodeBf16(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            var bits = MemoryMarshal.Cast<float, uint>(values);
            var output = MemoryMarshal.Cast<byte, ushort>(bytes);
            var width = Vector<uint>.Count;
            for (; i + 2 * width <= values.Length; i += 2 * width)
            {
                var low = RoundToBf16(new Vector<uint>(bits[i..]), new Vector<float>(values[i..]));
                var high = RoundToBf16(new Vector<uint>(bits[(i + width)..]), new Vector<float>(values[(i + width)..]));
                Vector.Narrow(low, high).CopyTo(output[i..]);
            }
        }
        for (; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes[(2 * i)..], ToBf16(values[i]));
        }
    }

    /// <summary>bfloat16 decoding, vectorized where the machine allows; the same bits as <see cref="FromBf16"/> per value.</summary>
    internal static void DecodeBf16(ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            var input = MemoryMarshal.Cast<byte, ushort>(bytes);
            var output = MemoryMarshal.Cast<float, uint>(destination);
            var width = Vector<ushort>.Count;
            for (; i + width <= destination.Length; i += width)
            {
                Vector.Widen(new Vector<ushort>(input[i..]), out var low, out var high);
                (low << 16).CopyTo(output[i..]);
                (high << 16).CopyTo(output[(i + Vector<uint>.Count)..]);
            }
        }
        for (; i < destination.Length; i++)
        {
            destination[i] = FromBf16(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
        }
    }

    // ToBf16 on a vector: round to nearest even in the upper 16 bits; NaNs stay NaNs.
    private static Vector<uint> RoundToBf16(Vector<uint> bits, Vector<float> values)
    {
        var rounded = (bits + new Vector<uint>(0x7FFF) + ((bits >> 16) & Vector<uint>.One)) >> 16;
        var quietNaN = (bits >> 16) | new Vector<uint>(0x40);
        return Vector.ConditionalSelect(Vector.AsVectorUInt32(Vector.Equals(values, values)), rounded, quietNaN);
    }

    public static ushort ToBf16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40); // stay a NaN
        }
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    public static float FromBf16(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    public static V1Precision ToWire(WirePrecisionKind precision) =>
        precision == WirePrecisionKind.Bf16 ? V1Precision.Bf16 : V1Precision.Fp32;

    public static WirePrecisionKind FromWire(V1Precision precision) =>
        precision == V1Precision.Bf16 ? WirePrecisionKind.Bf16 : WirePrecisionKind.Fp32;
}
