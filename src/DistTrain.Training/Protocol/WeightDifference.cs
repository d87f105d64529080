using System.Numerics;

namespace DistTrain.Training.Protocol;

/// <summary>
/// A weight block as its difference from the version before: the two versions' bytes as sent,
/// XORed, then cut into 16-bit units and sent without the zero ones (<see cref="ZeroSkipping"/>).
/// One step moves a weight by a small fraction of itself, so the high half of a float32 (sign,
/// exponent, top of the mantissa) and most bfloat16 values stay as they were; a receiver that
/// holds the version before gets the same bytes back.
/// </summary>
public static class WeightDifference
{
    /// <summary>Bytes of the map for a block of <paramref name="blockBytes"/> bytes.</summary>
    public static int MapBytes(int blockBytes) => ZeroSkipping.BitmapBytes(blockBytes / 2);

    /// <summary>
    /// Writes <paramref name="now"/>'s difference from <paramref name="before"/> (bytes of the same
    /// block, an even count) into <paramref name="map"/> and <paramref name="values"/> (as long as
    /// <paramref name="now"/>), using <paramref name="scratch"/>; returns the bytes of values, or -1
    /// when the difference would not be smaller than the block itself.
    /// </summary>
    public static int Encode(ReadOnlySpan<byte> now, ReadOnlySpan<byte> before, Span<byte> scratch, Span<byte> map, Span<byte> values)
    {
        var xor = scratch[..now.Length];
        Xor(now, before, xor);
        var kept = ZeroSkipping.Pack(xor, 2, map, values);
        return kept + map.Length < now.Length ? kept : -1;
    }

    /// <summary>
    /// Writes the block that <paramref name="map"/> and <paramref name="values"/> make of
    /// <paramref name="before"/> into <paramref name="now"/> (as long as before); the problem when
    /// they do not describe a block of that size.
    /// </summary>
    public static string? TryApply(ReadOnlySpan<byte> map, ReadOnlySpan<byte> values, ReadOnlySpan<byte> before, Span<byte> now)
    {
        if (ZeroSkipping.TryExpand(map, values, 2, now) is { } problem)
        {
            return problem;
        }
        Xor(now, before, now);
        return null;
    }

    private static void Xor(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> destination)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i + Vector<byte>.Count <= a.Length; i += Vector<byte>.Count)
            {
                (new Vector<byte>(a[i..]) ^ new Vector<byte>(b[i..])).CopyTo(destination[i..]);
            }
        }
        for (; i < a.Length; i++)
        {
            destination[i] = (byte)(a[i] ^ b[i]);
        }
    }
}
