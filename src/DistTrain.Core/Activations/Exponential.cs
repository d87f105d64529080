// eˣ for floats, vector and scalar, with the same operations in both (Cephes expf scheme):
//   n = round(x / ln 2),  r = x − n·ln 2 (ln 2 split in two so r is exact),  eʳ by a degree-7 polynomial,
//   eˣ = 2ⁿ·eʳ with 2ⁿ built in the exponent bits. About 1 ulp; no fused multiply-adds, so the bits are
//   the same on every machine. x is clamped to [−87.3, 88.3], where the result stays a normal float.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace DistTrain.Core.Activations;

internal static class Exponential
{
    private const float High = 88.3f;
    private const float Low = -87.3f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        // Compare-and-select rather than Min/Max: cheaper, and NaN passes through untouched.
        var low = new Vector<float>(Low);
        var high = new Vector<float>(High);
        x = Vector.ConditionalSelect(Vector.LessThan(x, low), low, x);
        x = Vector.ConditionalSelect(Vector.GreaterThan(x, high), high, x);
        var n = Vector.Round(x * new Vector<float>(Log2E));
        var r = x - n * new Vector<float>(Ln2High) - n * new Vector<float>(Ln2Low);

        var p = new Vector<float>(P0) * r + new Vector<float>(P1);
        p = p * r + new Vector<float>(P2);
        p = p * r + new Vector<float>(P3);
        p = p * r + new Vector<float>(P4);
        p = p * r + new Vector<float>(P5);
        var er = p * (r * r) + r + Vector<float>.One;

        var twoToN = Vector.AsVectorSingle(Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23));
        return er * twoToN;
    }

    public static float Exp(float x)
    {
        x = x < Low ? Low : x > High ? High : x;
        float n = MathF.Round(x * Log2E);
        float r = x - n * Ln2High - n * Ln2Low;

        float p = P0 * r + P1;
        p = p * r + P2;
        p = p * r + P3;
        p = p * r + P4;
        p = p * r + P5;
        float er = p * (r * r) + r + 1f;

        return er * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }
}
