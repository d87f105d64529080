using System.Runtime.InteropServices;

using DistTrain.Training.Configuration;
using Google.Protobuf;

namespace DistTrain.Training.Protocol;

/// <summary>
/// The weights a worker computes with. Little-endian fp32 broadcasts are used in place, in the
/// pooled buffer they arrived in (held until the next broadcast replaces them); bf16 is decoded.
/// </summary>
public sealed class ReceivedWeights(int parameterCount) : IDisposable
{
    private readonly float[] _decoded = new float[parameterCount];
    private ByteString? _held;

    public ReadOnlySpan<float> Values => _held is { } held ? MemoryMarshal.Cast<byte, float>(held.Span) : _decoded;

    /// <summary>Takes a broadcast's bytes (and their pooled buffer); false when they do not fit the model.</summary>
    public bool TryTake(ByteString bytes, WirePrecisionKind precision)
    {
        Release();
        if (precision == WirePrecisionKind.Fp32 && BitConverter.IsLittleEndian && bytes.Length == _decoded.Length * sizeof(float))
        {
            _held = bytes;
            return true;
        }
        var fits = TensorCodec.TryDecode(bytes.Span, precision, _decoded);
        ReceivedTensor.Release(bytes);
        return fits;
    }

    public void Dispose() => Release();

    private void Release()
    {
        if (_held is { } held)
        {
            _held = null;
            ReceivedTensor.Release(held);
        }
    }
}
