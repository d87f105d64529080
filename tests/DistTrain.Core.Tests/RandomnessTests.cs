// The initializer's random streams: published test vectors and distribution checks.
using DistTrain.Core.Randomness;

namespace DistTrain.Core.Tests;

public sealed class RandomnessTests
{
    [Fact]
    public void SplitMix64_matches_the_published_sequence_for_seed_zero()
    {
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, Xoshiro256StarStar.SplitMix64(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, Xoshiro256StarStar.SplitMix64(ref state));
        Assert.Equal(0x06C45D188009454FUL, Xoshiro256StarStar.SplitMix64(ref state));
    }

    [Fact]
    public void Xoshiro256StarStar_matches_the_reference_implementation_from_state_1_2_3_4()
    {
        // Output of the authors' C reference for s = {1, 2, 3, 4}.
        ulong[] expected =
        [
            11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
            607988272756665600, 16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576,
        ];
        var random = new Xoshiro256StarStar(1, 2, 3, 4);
        foreach (ulong value in expected)
        {
            Assert.Equal(value, random.NextUInt64());
        }
    }

    [Fact]
    public void Doubles_are_uniform_in_the_unit_interval()
    {
        var random = new Xoshiro256StarStar(42);
        const int n = 200_000;
        var bins = new int[10];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double u = random.NextDouble();
            Assert.InRange(u, 0, Math.BitDecrement(1.0));
            bins[(int)(u * 10)]++;
            sum += u;
        }
        Assert.Equal(0.5, sum / n, 0.005);
        Assert.All(bins, count => Assert.InRange(count, n / 10 - 600, n / 10 + 600));
    }

    [Fact]
    public void PortableLog_agrees_with_the_platform_logarithm()
    {
        var random = new Xoshiro256StarStar(7);
        for (int i = 0; i < 100_000; i++)
        {
            // Magnitudes from 1e-30 to 1e30 and the polar method's (0, 1) range.
            double x = i % 2 == 0 ? random.NextDouble() + 1e-300 : Math.Exp(138 * random.NextDouble() - 69);
            double expected = Math.Log(x);
            Assert.True(Math.Abs(PortableLog.Log(x) - expected) <= 4e-16 * Math.Max(1, Math.Abs(expected)), $"ln {x}");
        }
        Assert.Equal(0.0, PortableLog.Log(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PortableLog.Log(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PortableLog.Log(-1));
    }

    [Fact]
    public void Normal_samples_have_the_moments_and_tails_of_a_standard_normal()
    {
        var normal = new NormalSampler(new Xoshiro256StarStar(3));
        const int n = 400_000;
        double sum = 0, squares = 0, fourth = 0;
        int withinOne = 0, beyondThree = 0;
        for (int i = 0; i < n; i++)
        {
            double z = normal.Next();
            sum += z;
            squares += z * z;
            fourth += z * z * z * z;
            withinOne += Math.Abs(z) < 1 ? 1 : 0;
            beyondThree += Math.Abs(z) > 3 ? 1 : 0;
        }
        Assert.Equal(0, sum / n, 0.01);
        Assert.Equal(1, squares / n, 0.01);
        Assert.Equal(3, fourth / n, 0.1);
        Assert.Equal(0.6827, (double)withinOne / n, 0.005);
        Assert.Equal(0.0027, (double)beyondThree / n, 0.0005);
    }
}
