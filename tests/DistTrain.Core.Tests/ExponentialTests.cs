using DistTrain.Core.Activations;

namespace DistTrain.Core.Tests;

public sealed class ExponentialTests
{
    [Fact]
    public void Vector_and_scalar_exp_are_within_two_ulps_and_identical()
    {
        // Magnitudes from 1e-30 to 88.3 at every 997th float bit pattern, with both signs where in range.
        var inputs = new List<float> { -87.3f, 0f, 88.3f };
        for (int bits = BitConverter.SingleToInt32Bits(1e-30f); BitConverter.Int32BitsToSingle(bits) < 88.3f; bits += 997)
        {
            float magnitude = BitConverter.Int32BitsToSingle(bits);
            inputs.Add(magnitude);
            if (magnitude < 87.3f)
            {
                inputs.Add(-magnitude);
            }
        }
        float[] xs = [.. inputs];
        var vectorised = new float[xs.Length];
        int body = xs.Length - xs.Length % System.Numerics.Vector<float>.Count;
        for (int i = 0; i < body; i += System.Numerics.Vector<float>.Count)
        {
            Exponential.Exp(new System.Numerics.Vector<float>(xs, i)).CopyTo(vectorised, i);
        }

        double worst = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            float scalar = Exponential.Exp(xs[i]);
            if (i < body)
            {
                Assert.Equal(scalar, vectorised[i]);
            }
            double expected = Math.Exp(xs[i]);
            double ulp = MathF.BitIncrement((float)expected) - (float)expected;
            worst = Math.Max(worst, Math.Abs(scalar - expected) / ulp);
        }
        Assert.True(worst <= 2, $"worst error {worst:F2} ulp");
        Assert.Equal(1f, Exponential.Exp(0f));
    }

    [Fact]
    public void Out_of_range_inputs_saturate_and_NaN_propagates()
    {
        Assert.True(float.IsFinite(Exponential.Exp(1000f)) && Exponential.Exp(1000f) > 1e38f);
        Assert.InRange(Exponential.Exp(-1000f), 0f, 1e-37f);
        Assert.True(float.IsNaN(Exponential.Exp(float.NaN)));
        var nan = Exponential.Exp(new System.Numerics.Vector<float>(float.NaN));
        Assert.True(float.IsNaN(nan[0]));
    }
}
