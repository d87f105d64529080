// ELU with α = 1: y = z for z > 0, eᶻ − 1 otherwise;  dZ = dY · (z > 0 ? 1 : y + 1).
// Elementwise over any length (N·H for a batch of N rows of H units).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DistTrain.Core.Activations;

internal static class Elu
{
    // Above this (negative) z, eᶻ − 1 loses digits to cancellation; a Taylor polynomial is exact to float there.
    private const float SmallLimit = -0.5f;

    public static void Forward(ReadOnlySpan<float> z, Span<float> y)
    {
        Lengths.Check(z.Length, z.Length, y.Length);
        ref float zRef = ref MemoryMarshal.GetReference(z);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        var one = Vector<float>.One;
        var small = new Vector<float>(SmallLimit);
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = Vector.LoadUnsafe(ref zRef, (nuint)i);
            // eᶻ of min(z, 0), so positive z never overflow.
            var expMinusOne = Exponential.Exp(Vector.Min(zv, Vector<float>.Zero)) - one;
            var negative = Vector.ConditionalSelect(Vector.GreaterThan(zv, small), Expm1Small(zv), expMinusOne);
            Vector.ConditionalSelect(Vector.GreaterThan(zv, Vector<float>.Zero), zv, negative).StoreUnsafe(ref yRef, (nuint)i);
        }
        for (; i < z.Length; i++)
        {
            float zi = z[i];
            y[i] = zi > 0 ? zi : zi > SmallLimit ? Expm1Small(zi) : Exponential.Exp(zi) - 1f;
        }
    }

    /// <summary>dZ may be the same span as dY.</summary>
    public static void Backward(ReadOnlySpan<float> z, ReadOnlySpan<float> y, ReadOnlySpan<float> dY, Span<float> dZ)
    {
        Lengths.Check(z.Length, Math.Min(y.Length, dY.Length), dZ.Length);
        ref float zRef = ref MemoryMarshal.GetReference(z);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        ref float dYRef = ref MemoryMarshal.GetReference(dY);
        ref float dZRef = ref MemoryMarshal.GetReference(dZ);
        var one = Vector<float>.One;
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = Vector.LoadUnsafe(ref zRef, (nuint)i);
            var gv = Vector.LoadUnsafe(ref dYRef, (nuint)i);
            var slope = Vector.LoadUnsafe(ref yRef, (nuint)i) + one;
            Vector.ConditionalSelect(Vector.GreaterThan(zv, Vector<float>.Zero), gv, gv * slope).StoreUnsafe(ref dZRef, (nuint)i);
        }
        for (; i < z.Length; i++)
        {
            dZ[i] = z[i] > 0 ? dY[i] : dY[i] * (y[i] + 1f);
        }
    }

    // eᶻ − 1 = z + z²/2! + … + z⁸/8!; the next term is below 2⁻²⁴·|eᶻ − 1| for |z| ≤ 0.5.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
