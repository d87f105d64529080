using System.Runtime.InteropServices;
using DistTrain.Training.Protocol;

namespace DistTrain.Training.Tests;

/// <summary>
/// Gradient blocks sent without their zeros: packing then expanding gives the same bytes (-0.0 and
/// every other value kept), the packed values are exactly those not all-bits-zero, and bitmaps that
/// do not describe the block are refused with a reason.
/// </summary>
public sealed class ZeroSkippingTests
{
    [Theory]
    [InlineData(4, 1)]
    [InlineData(4, 63)]
    [InlineData(4, 64)]
    [InlineData(4, 65)]
    [InlineData(4, 1000)]
    [InlineData(4, 16384)]
    [InlineData(2, 7)]
    [InlineData(2, 129)]
    [InlineData(2, 16384)]
    public void Packing_then_expanding_gives_the_same_bytes(int bytesPerValue, int count)
    {
        var random = new Random(count * bytesPerValue);
        foreach (var zeros in new[] { 0.0, 0.4, 0.9, 1.0 })
        {
            var dense = Block(random, count, bytesPerValue, zeros);
            var bitmap = new byte[ZeroSkipping.BitmapBytes(count)];
            var packed = new byte[dense.Length];
            var kept = ZeroSkipping.Pack(dense, bytesPerValue, bitmap, packed);

            var nonZero = Values(dense, bytesPerValue).Where(v => v != 0).ToArray();
            Assert.Equal(nonZero.Length * bytesPerValue, kept);
            Assert.Equal(nonZero, Values(packed.AsSpan(0, kept).ToArray(), bytesPerValue));
            var expanded = Enumerable.Repeat((byte)0xA5, dense.Length).ToArray();
            Assert.Null(ZeroSkipping.TryExpand(bitmap, packed.AsSpan(0, kept), bytesPerValue, expanded));
            Assert.Equal(dense, expanded);
        }
    }

    [Fact]
    public void Negative_zero_is_sent_as_a_value()
    {
        var dense = MemoryMarshal.AsBytes(new[] { 0f, -0f, 1f, 0f }.AsSpan()).ToArray();
        var bitmap = new byte[8];
        var packed = new byte[dense.Length];
        Assert.Equal(8, ZeroSkipping.Pack(dense, 4, bitmap, packed));
        Assert.Equal(0b0110, bitmap[0]);
    }

    [Fact]
    public void Bitmaps_that_do_not_describe_the_block_are_refused()
    {
        var dense = new byte[100 * 4];
        var packed = new byte[8];
        // Wrong length: 100 values need two words.
        Assert.Contains("expected 16", ZeroSkipping.TryExpand(new byte[8], [], 4, dense));
        // A bit for value 100, past the end.
        var past = new byte[16];
        past[8 + 36 / 8] = 1 << (36 % 8);
        Assert.Contains("past the block", ZeroSkipping.TryExpand(past, [.. packed[..4]], 4, dense));
        // Two values marked, one sent.
        var two = new byte[16];
        two[0] = 0b11;
        Assert.Contains("marks 2 values, but 4 bytes", ZeroSkipping.TryExpand(two, packed.AsSpan(0, 4), 4, dense));
        Assert.Null(ZeroSkipping.TryExpand(two, packed, 4, dense));
    }

    private static byte[] Block(Random random, int count, int bytesPerValue, double zeros)
    {
        var bytes = new byte[count * bytesPerValue];
        random.NextBytes(bytes);
        for (var i = 0; i < count; i++)
        {
            // Zeros in runs, as black pixels come, and single ones.
            if (random.NextDouble() < zeros)
            {
                var run = random.Next(1, 40);
                bytes.AsSpan(i * bytesPerValue, Math.Min(run, count - i) * bytesPerValue).Clear();
                i += run - 1;
            }
        }
        return bytes;
    }

    private static ulong[] Values(byte[] bytes, int bytesPerValue) => bytesPerValue == 4
        ? [.. MemoryMarshal.Cast<byte, uint>(bytes).ToArray().Select(v => (ulong)v)]
        : [.. MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(v => (ulong)v)];
}
