// ELU with α = 1: y = z for z > 0, eᶻ − 1 otherwise;  dZ = dY · (z > 0 ? 1 : y + 1).
// Elementwise over any length (N·H for a batch of N rows of H units).
using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core.Activations;

internal static class Elu
{
    // Above this (negative) z, eᶻ − 1 loses digits to cancellation; a Taylor polynomial is exact to float there.
    private const float SmallLimit = -0.5f;

    /// <summary>y must not overlap z.</summary>
    public static void Forward(ReadOnlySpan<float> z, Span<float> y)
    {
        // eᶻ of min(z, 0) first, so positive z never overflow.
        TensorPrimitives.Min(z, 0f, y);
        TensorPrimitives.Exp(y, y);

        int i = 0;
        var one = Vector<float>.One;
        var small = new Vector<float>(SmallLimit);
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = new Vector<float>(z[i..]);
            var expMinusOne = new Vector<float>(y[i..]) - one;
            var negative = Vector.ConditionalSelect(Vector.GreaterThan(zv, small), Expm1Small(zv), expMinusOne);
            Vector.ConditionalSelect(Vector.GreaterThan(zv, Vector<float>.Zero), zv, negative).CopyTo(y[i..]);
        }
        for (; i < z.Length; i++)
        {
            float zi = z[i];
            y[i] = zi > 0 ? zi : zi > SmallLimit ? Expm1Small(zi) : y[i] - 1f;
        }
    }

    /// <summary>dZ may be the same span as dY.</summary>
    public static void Backward(ReadOnlySpan<float> z, ReadOnlySpan<float> y, ReadOnlySpan<float> dY, Span<float> dZ)
    {
        int i = 0;
        var one = Vector<float>.One;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = new Vector<float>(z[i..]);
            var gv = new Vector<float>(dY[i..]);
            var slope = new Vector<float>(y[i..]) + one;
            Vector.ConditionalSelect(Vector.GreaterThan(zv, Vector<float>.Zero), gv, gv * slope).CopyTo(dZ[i..]);
        }
        for (; i < z.Length; i++)
        {
            dZ[i] = z[i] > 0 ? dY[i] : dY[i] * (y[i] + 1f);
        }
    }

    // eᶻ − 1 = z + z²/2! + … + z⁸/8!; the next term is below 2⁻²⁴·|eᶻ − 1| for |z| ≤ 0.5.
    private static Vector<float> Expm1Small(Vector<float> z)
    {
        var sum = new Vector<float>(1f / 5040) + z * new Vector<float>(1f / 40320);
        sum = new Vector<float>(1f / 720) + z * sum;
        sum = new Vector<float>(1f / 120) + z * sum;
        sum = new Vector<float>(1f / 24) + z * sum;
        sum = new Vector<float>(1f / 6) + z * sum;
        sum = new Vector<float>(1f / 2) + z * sum;
        return z + z * z * sum;
    }

    private static float Expm1Small(float z)
    {
        float sum = 1f / 5040 + z * (1f / 40320);
        sum = 1f / 720 + z * sum;
        sum = 1f / 120 + z * sum;
        sum = 1f / 24 + z * sum;
        sum = 1f / 6 + z * sum;
        sum = 1f / 2 + z * sum;
        return z + z * z * sum;
    }
}
