using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Training.Protocol;

/// <summary>
/// A block of values without its zeros: one bit per value says whether the value was sent, and only
/// the values whose bits are not all zero (+0.0; -0.0 is sent) follow, in order. Expanding gives the
/// same bytes back, so the step sees the same bits. Gradient blocks go this way because many
/// gradient values are exactly zero: a first-layer weight's gradient is zero for every input pixel
/// that is black in all of a shard's images (about 40% of MNIST's pixels in a shard of 32), and a
/// ReLU unit silent for the whole shard zeroes its weights' gradients too; the bitmap costs 1/32 of
/// an fp32 block. Weight differences go this way in 16-bit units (<see cref="WeightDifference"/>).
/// </summary>
/// <remarks>Bitmap layout: little-endian 64-bit words; bit i of word w stands for value 64w + i.</remarks>
public static class ZeroSkipping
{
    /// <summary>Bytes of the bitmap for <paramref name="values"/> values.</summary>
    public static int BitmapBytes(int values) => (values + 63) / 64 * sizeof(ulong);

    /// <summary>
    /// Writes the bitmap of <paramref name="dense"/> (values of <paramref name="bytesPerValue"/> bytes,
    /// 2 or 4) into <paramref name="bitmap"/> and its values that are not zero into <paramref name="packed"/>
    /// (as long as <paramref name="dense"/>); returns the bytes written to <paramref name="packed"/>.
    /// </summary>
    public static int Pack(ReadOnlySpan<byte> dense, int bytesPerValue, Span<byte> bitmap, Span<byte> packed)
    {
        var count = Count(dense.Length, bytesPerValue);
        var written = 0;
        for (var w = 0; w < BitmapBytes(count) / sizeof(ulong); w++)
        {
            var first = w * 64;
            var chunk = dense.Slice(first * bytesPerValue, Math.Min(64, count - first) * bytesPerValue);
            var mask = bytesPerValue == 4 ? NonZero(MemoryMarshal.Cast<byte, uint>(chunk)) : NonZero(MemoryMarshal.Cast<byte, ushort>(chunk));
            BinaryPrimitives.WriteUInt64LittleEndian(bitmap[(w * sizeof(ulong))..], mask);
            written = chunk.Length == 64 * bytesPerValue && Ssse3.IsSupported
                ? PackShuffled(chunk, mask, bytesPerValue, packed, written)
                : PackRuns(chunk, mask, bytesPerValue, packed, written);
        }
        return written;
    }

    /// <summary>
    /// Writes the block that <paramref name="bitmap"/> and <paramref name="packed"/> describe into
    /// <paramref name="dense"/> (its whole length: the block's values times <paramref name="bytesPerValue"/>);
    /// the problem when they do not describe a block of that size.
    /// </summary>
    public static string? TryExpand(ReadOnlySpan<byte> bitmap, ReadOnlySpan<byte> packed, int bytesPerValue, Span<byte> dense)
    {
        var count = Count(dense.Length, bytesPerValue);
        if (bitmap.Length != BitmapBytes(count))
        {
            return $"a bitmap of {bitmap.Length} bytes for {count} values; expected {BitmapBytes(count)}";
        }
        var words = bitmap.Length / sizeof(ulong);
        long sent = 0;
        for (var w = 0; w < words; w++)
        {
            sent += BitOperations.PopCount(Word(bitmap, w));
        }
        var tail = count % 64;
        if (tail != 0 && Word(bitmap, words - 1) >> tail != 0)
        {
            return $"the bitmap marks values past the block's {count}";
        }
        if (sent * bytesPerValue != packed.Length)
        {
            return $"the bitmap marks {sent} values, but {packed.Length} bytes of values came (expected {sent * bytesPerValue})";
        }
        dense.Clear();
        var read = 0;
        for (var w = 0; w < words; w++)
        {
            var first = w * 64;
            var chunk = dense.Slice(first * bytesPerValue, Math.Min(64, count - first) * bytesPerValue);
            var mask = Word(bitmap, w);
            if (chunk.Length == 64 * bytesPerValue && Ssse3.IsSupported)
            {
                read = ExpandShuffled(packed, read, mask, bytesPerValue, chunk);
                continue;
            }
            while (mask != 0)
            {
                var (start, length) = FirstRun(ref mask);
                packed.Slice(read, length * bytesPerValue).CopyTo(chunk[(start * bytesPerValue)..]);
                read += length * bytesPerValue;
            }
        }
        return null;
    }

    private static int PackRuns(ReadOnlySpan<byte> chunk, ulong mask, int bytesPerValue, Span<byte> packed, int written)
    {
        while (mask != 0)
        {
            var (start, length) = FirstRun(ref mask);
            chunk.Slice(start * bytesPerValue, length * bytesPerValue).CopyTo(packed[written..]);
            written += length * bytesPerValue;
        }
        return written;
    }

    // Runs are short (a float32 difference alternates kept low halves and dropped high halves), so
    // 16 bytes at a time go through one byte shuffle: the table entry for a group's bits gathers
    // its kept values to the front (packing) or spreads them back to their places (expanding).

    /// <summary>Packs 64 values, 16 bytes at a time; a group whose 16-byte store would pass the end of <paramref name="packed"/> is copied value by value.</summary>
    private static int PackShuffled(ReadOnlySpan<byte> chunk, ulong mask, int bytesPerValue, Span<byte> packed, int written)
    {
        var units = 16 / bytesPerValue;
        var table = bytesPerValue == 2 ? Shuffles.GatherShorts : Shuffles.GatherInts;
        for (var g = 0; g < 64 / units; g++, mask >>= units)
        {
            var bits = (int)(mask & ((1UL << units) - 1));
            if (bits == 0)
            {
                continue;
            }
            var group = chunk.Slice(g * 16, 16);
            if (written + 16 <= packed.Length)
            {
                Ssse3.Shuffle(Vector128.Create(group), Vector128.Create(table.AsSpan(bits * 16, 16))).CopyTo(packed[written..]);
                written += BitOperations.PopCount((uint)bits) * bytesPerValue;
                continue;
            }
            for (var u = 0; u < units; u++)
            {
                if ((bits >> u & 1) != 0)
                {
                    group.Slice(u * bytesPerValue, bytesPerValue).CopyTo(packed[written..]);
                    written += bytesPerValue;
                }
            }
        }
        return written;
    }

    /// <summary>Expands 64 values into <paramref name="chunk"/> (cleared), 16 bytes at a time; the last groups, whose 16-byte load would pass the end of <paramref name="packed"/>, value by value.</summary>
    private static int ExpandShuffled(ReadOnlySpan<byte> packed, int read, ulong mask, int bytesPerValue, Span<byte> chunk)
    {
        var units = 16 / bytesPerValue;
        var table = bytesPerValue == 2 ? Shuffles.SpreadShorts : Shuffles.SpreadInts;
        for (var g = 0; g < 64 / units; g++, mask >>= units)
        {
            var bits = (int)(mask & ((1UL << units) - 1));
            if (bits == 0)
            {
                continue;
            }
            var group = chunk.Slice(g * 16, 16);
            if (read + 16 <= packed.Length)
            {
                Ssse3.Shuffle(Vector128.Create(packed.Slice(read, 16)), Vector128.Create(table.AsSpan(bits * 16, 16))).CopyTo(group);
                read += BitOperations.PopCount((uint)bits) * bytesPerValue;
                continue;
            }
            for (var u = 0; u < units; u++)
            {
                if ((bits >> u & 1) != 0)
                {
                    packed.Slice(read, bytesPerValue).CopyTo(group[(u * bytesPerValue)..]);
                    read += bytesPerValue;
                }
            }
        }
        return read;
    }

    /// <summary>Byte shuffle controls, 16 bytes per entry, indexed by a group's bits (0x80 writes a zero byte).</summary>
    private static class Shuffles
    {
        public static readonly byte[] GatherShorts = Table(units: 8, size: 2, gather: true);
        public static readonly byte[] SpreadShorts = Table(units: 8, size: 2, gather: false);
        public static readonly byte[] GatherInts = Table(units: 4, size: 4, gather: true);
        public static readonly byte[] SpreadInts = Table(units: 4, size: 4, gather: false);

        private static byte[] Table(int units, int size, bool gather)
        {
            var table = new byte[(1 << units) * 16];
            for (var bits = 0; bits < 1 << units; bits++)
            {
                var control = table.AsSpan(bits * 16, 16);
                control.Fill(0x80);
                var kept = 0;
                for (var u = 0; u < units; u++)
                {
                    if ((bits >> u & 1) == 0)
                    {
                        continue;
                    }
                    for (var b = 0; b < size; b++)
                    {
                        if (gather)
                        {
                            control[kept * size + b] = (byte)(u * size + b);
                        }
                        else
                        {
                            control[u * size + b] = (byte)(kept * size + b);
                        }
                    }
                    kept++;
                }
            }
            return table;
        }
    }

    private static int Count(int bytes, int bytesPerValue)
    {
        if (bytesPerValue is not (2 or 4) || bytes % bytesPerValue != 0)
        {
            throw new ArgumentException($"{bytes} bytes are not whole values of {bytesPerValue} bytes");
        }
        return bytes / bytesPerValue;
    }

    private static ulong Word(ReadOnlySpan<byte> bitmap, int w) => BinaryPrimitives.ReadUInt64LittleEndian(bitmap[(w * sizeof(ulong))..]);

    /// <summary>The lowest run of set bits of <paramref name="mask"/> (first bit, length), cleared from it.</summary>
    private static (int Start, int Length) FirstRun(ref ulong mask)
    {
        var start = BitOperations.TrailingZeroCount(mask);
        // The bits above the run shifted down leave ones on top, so the complement is never 0 unless all 64 are set.
        var length = BitOperations.TrailingZeroCount(~(mask >> start));
        mask = start + length >= 64 ? 0 : mask & (ulong.MaxValue << (start + length));
        return (start, length);
    }

    /// <summary>Bit i set when values[i] has a bit set (at most 64 values of 2 or 4 bytes).</summary>
    private static ulong NonZero<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryInteger<T>
    {
        ulong mask = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256<T>.Count;
            for (; i + lanes <= values.Length; i += lanes)
            {
                var zero = Vector256.Equals(Vector256.Create(values.Slice(i, lanes)), Vector256<T>.Zero);
                mask |= (~zero.ExtractMostSignificantBits() & ((1UL << lanes) - 1)) << i;
            }
        }
        for (; i < values.Length; i++)
        {
            mask |= values[i] != T.Zero ? 1UL << i : 0;
        }
        return mask;
    }
}
