using System.Runtime.InteropServices;
using DistTrain.Training.Configuration;
using Google.Protobuf;

namespace DistTrain.Training.Protocol;

/// <summary>
/// A worker's gradient buffer, laid out as the fp32 wire bytes where the machine is little-endian,
/// so an fp32 result is sent straight from it without an encoding copy. Reused for every result:
/// the send returns only after the bytes are written.
/// </summary>
public sealed class OutgoingGradient(int parameterCount)
{
    private readonly byte[] _storage = new byte[parameterCount * sizeof(float)];
    private readonly float[] _fallback = BitConverter.IsLittleEndian ? [] : new float[parameterCount];
    private byte[] _encoded = [];

    public Span<float> Values => BitConverter.IsLittleEndian ? MemoryMarshal.Cast<byte, float>(_storage.AsSpan()) : _fallback;

    /// <summary>The wire bytes of <see cref="Values"/>; valid until the next call or the next write to Values.</summary>
    public ByteString Encode(WirePrecisionKind precision) =>
        precision == WirePrecisionKind.Fp32 && BitConverter.IsLittleEndian
            ? UnsafeByteOperations.UnsafeWrap(_storage)
            : TensorCodec.EncodeInto(Values, precision, ref _encoded);
}
