global using V1Precision = DistTrain.Rpc.V1.WirePrecision;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DistTrain.Training.Configuration;
using Google.Protobuf;

namespace DistTrain.Training.Wire;

/// <summary>
/// Tensors on the wire: raw little-endian float32, or bfloat16 (the upper 16 bits of a float32,
/// rounded to nearest even) to halve the traffic. The coordinator keeps float32 master weights.
/// </summary>
public static class TensorCodec
{
    public static int BytesPerValue(WirePrecisionKind precision) => precision == WirePrecisionKind.Bf16 ? 2 : 4;

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
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes[(2 * i)..], ToBf16(values[i]));
            }
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
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = FromBf16(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
        }
        return true;
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
