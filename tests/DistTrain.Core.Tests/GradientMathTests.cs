namespace DistTrain.Core.Tests;

public sealed class GradientMathTests
{
    [Fact]
    public void Add_and_scale_work_elementwise()
    {
        float[] destination = [.. Enumerable.Range(0, 19).Select(i => (float)i)];
        float[] source = [.. Enumerable.Range(0, 19).Select(i => 0.5f * i)];
        GradientMath.Add(source, destination);
        Assert.Equal([.. Enumerable.Range(0, 19).Select(i => 1.5f * i)], destination);

        GradientMath.Scale(destination, 2f);
        Assert.Equal([.. Enumerable.Range(0, 19).Select(i => 3f * i)], destination);

        Assert.Throws<ArgumentException>(() => GradientMath.Add(new float[3], new float[4]));
    }

    [Fact]
    public void AllFinite_finds_any_NaN_or_infinity_anywhere()
    {
        foreach (int length in new[] { 1, 8, 17, 100 })
        {
            var values = new float[length];
            Assert.True(GradientMath.AllFinite(values));
            foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            {
                foreach (int position in new[] { 0, length / 2, length - 1 })
                {
                    values[position] = bad;
                    Assert.False(GradientMath.AllFinite(values), $"{bad} at {position} of {length}");
                    values[position] = float.MaxValue;
                    Assert.True(GradientMath.AllFinite(values));
                }
            }
        }
        Assert.True(GradientMath.AllFinite([]));
    }

    [Fact]
    public void Adding_two_into_a_third_has_the_bits_of_copy_then_add()
    {
        var random = new Random(12);
        var first = Enumerable.Range(0, 1001).Select(_ => (float)(random.NextDouble() - 0.5) * 1e3f).ToArray();
        var second = Enumerable.Range(0, 1001).Select(_ => (float)(random.NextDouble() - 0.5) * 1e-3f).ToArray();
        var copied = (float[])first.Clone();
        GradientMath.Add(second, copied);
        var direct = new float[1001];
        GradientMath.Add(first, second, direct);
        Assert.Equal(copied.Select(BitConverter.SingleToInt32Bits), direct.Select(BitConverter.SingleToInt32Bits));
        Assert.Throws<ArgumentException>(() => GradientMath.Add(first, new float[3], direct));
    }
}
