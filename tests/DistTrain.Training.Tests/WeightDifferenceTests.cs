using System.Runtime.InteropServices;
using DistTrain.Training.Configuration;
using DistTrain.Training.Protocol;

namespace DistTrain.Training.Tests;

/// <summary>
/// Weight blocks sent as their difference from the version before: applying the difference to the
/// version before gives the block's bytes exactly; a step's small moves make it smaller than the
/// block, an unrelated block does not (and is then sent whole); a map of the wrong size is refused.
/// </summary>
public sealed class WeightDifferenceTests
{
    [Theory]
    [InlineData(WirePrecisionKind.Fp32, 16384)]
    [InlineData(WirePrecisionKind.Fp32, 1001)]
    [InlineData(WirePrecisionKind.Bf16, 16384)]
    [InlineData(WirePrecisionKind.Bf16, 77)]
    public void A_small_step_gives_a_smaller_difference_that_restores_the_bytes(WirePrecisionKind precision, int count)
    {
        var random = new Random(count);
        float[] before = [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() - 0.5f) * 0.1f)];
        float[] after = [.. before.Select((w, i) => i % 7 == 0 ? w : w - 0.05f * (random.NextSingle() - 0.5f) * 1e-3f)];
        var (old, now) = (Bytes(before, precision), Bytes(after, precision));

        var map = new byte[WeightDifference.MapBytes(now.Length)];
        var values = new byte[now.Length];
        var kept = WeightDifference.Encode(now, old, new byte[now.Length], map, values);

        Assert.InRange(kept + map.Length, 1, (int)(now.Length * (precision == WirePrecisionKind.Fp32 ? 0.7 : 0.8)));
        var restored = new byte[now.Length];
        Assert.Null(WeightDifference.TryApply(map, values.AsSpan(0, kept), old, restored));
        Assert.Equal(now, restored);
    }

    [Fact]
    public void Unrelated_blocks_are_not_sent_as_differences()
    {
        var random = new Random(3);
        var before = new byte[4096];
        var now = new byte[4096];
        random.NextBytes(before);
        random.NextBytes(now);
        Assert.Equal(-1, WeightDifference.Encode(now, before, new byte[now.Length], new byte[WeightDifference.MapBytes(now.Length)], new byte[now.Length]));
    }

    [Fact]
    public void A_map_for_another_size_is_refused()
    {
        var before = new byte[4096];
        Assert.Contains("bitmap of", WeightDifference.TryApply(new byte[8], [], before, new byte[4096]));
    }

    private static byte[] Bytes(float[] values, WirePrecisionKind precision)
    {
        var buffer = Array.Empty<byte>();
        return TensorCodec.EncodeInto(values, precision, ref buffer).ToByteArray();
    }
}
