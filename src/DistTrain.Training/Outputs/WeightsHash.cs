using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace DistTrain.Training;

/// <summary>The model as little-endian float32 bytes, and the SHA-256 of those bytes.</summary>
public static class WeightsHash
{
    public static string Sha256(ReadOnlySpan<float> parameters) => Convert.ToHexStringLower(SHA256.HashData(LittleEndianBytes(parameters)));

    public static ReadOnlySpan<byte> LittleEndianBytes(ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(values);
        }
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }
        return bytes;
    }

    public static void FromLittleEndianBytes(ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }
    }
}
