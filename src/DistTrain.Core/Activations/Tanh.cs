// Hyperbolic tangent: y = tanh(z);  dZ = dY · (1 − y²).
// Elementwise over any length (N·H for a batch of N rows of H units).
// |z| < 0.55: odd Taylor series to z¹⁷ (error < 1e-8 relative), so small inputs keep full relative
// precision and tanh(0) = 0 exactly; otherwise sign(z)·(1 − 2/(e^(2|z|) + 1)), which saturates to ±1.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DistTrain.Core.Activations;

internal static class Tanh
{
    private const float SeriesLimit = 0.55f;

    public static void Forward(ReadOnlySpan<float> z, Span<float> y)
    {
        Lengths.Check(z.Length, z.Length, y.Length);
        ref float zRef = ref MemoryMarshal.GetReference(z);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        var one = Vector<float>.One;
        var two = new Vector<float>(2f);
        var limit = new Vector<float>(SeriesLimit);
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = Vector.LoadUnsafe(ref zRef, (nuint)i);
            var magnitude = Vector.Abs(zv);
            var saturating = one - two / (Exponential.Exp(two * magnitude) + one);
            var large = Vector.ConditionalSelect(Vector.LessThan(zv, Vector<float>.Zero), -saturating, saturating);
            Vector.ConditionalSelect(Vector.LessThan(magnitude, limit), Series(zv), large).StoreUnsafe(ref yRef, (nuint)i);
        }
        for (; i < z.Length; i++)
        {
            float zi = z[i];
            y[i] = MathF.Abs(zi) < SeriesLimit ? Series(zi) : MathF.CopySign(1f - 2f / (Exponential.Exp(2f * MathF.Abs(zi)) + 1f), zi);
        }
    }

    /// <summary>dZ may be the same span as dY.</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dY, Span<float> dZ)
    {
        Lengths.Check(y.Length, dY.Length, dZ.Length);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        ref float dYRef = ref MemoryMarshal.GetReference(dY);
        ref float dZRef = ref MemoryMarshal.GetReference(dZ);
        int i = 0;
        for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var yv = Vector.LoadUnsafe(ref yRef, (nuint)i);
            (Vector.LoadUnsafe(ref dYRef, (nuint)i) * (Vector<float>.One - yv * yv)).StoreUnsafe(ref dZRef, (nuint)i);
        }
        for (; i < y.Length; i++)
        {
            dZ[i] = dY[i] * (1f - y[i] * y[i]);
        }
    }

    // tanh z = z − z³/3 + 2z⁵/15 − 17z⁷/315 + 62z⁹/2835 − 1382z¹¹/155925 + 21844z¹³/6081075
    //          − 929569z¹⁵/638512875 + 6404582z¹⁷/10854718875 − …
    private const float C3 = -1f / 3;
    private const float C5 = 2f / 15;
    private const float C7 = -17f / 315;
    private const float C9 = 62f / 2835;
    private const float C11 = -1382f / 155925;
    private const float C13 = 21844f / 6081075;
    private const float C15 = -929569f / 638512875;
    private const float C17 = 6404582f / 10854718875;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Series(Vector<float> z)
    {
        var z2 = z * z;
        var sum = new Vector<float>(C15) + z2 * new Vector<float>(C17);
        sum = new Vector<float>(C13) + z2 * sum;
        sum = new Vector<float>(C11) + z2 * sum;
        sum = new Vector<float>(C9) + z2 * sum;
        sum = new Vector<float>(C7) + z2 * sum;
        sum = new Vector<float>(C5) + z2 * sum;
        sum = new Vector<float>(C3) + z2 * sum;
        return z + z * z2 * sum;
    }

    private static float Series(float z)
    {
        float z2 = z * z;
        float sum = C15 + z2 * C17;
        sum = C13 + z2 * sum;
        sum = C11 + z2 * sum;
        sum = C9 + z2 * sum;
        sum = C7 + z2 * sum;
        sum = C5 + z2 * sum;
        sum = C3 + z2 * sum;
        return z + z * z2 * sum;
    }
}
