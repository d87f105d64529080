// Logistic sigmoid: y = 1 / (1 + e⁻ᶻ);  dZ = dY · y·(1 − y).
// Elementwise over any length (N·H for a batch of N rows of H units).
using System.Numerics;
using System.Runtime.InteropServices;

namespace DistTrain.Core.Activations;

internal static class Sigmoid
{
    public static void Forward(ReadOnlySpan<float> z, Span<float> y)
    {
        Lengths.Check(z.Length, z.Length, y.Length);
        ref float zRef = ref MemoryMarshal.GetReference(z);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        var one = Vector<float>.One;
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = Vector.LoadUnsafe(ref zRef, (nuint)i);
            (one / (one + Exponential.Exp(-zv))).StoreUnsafe(ref yRef, (nuint)i);
        }
        for (; i < z.Length; i++)
        {
            y[i] = 1f / (1f + Exponential.Exp(-z[i]));
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
            (Vector.LoadUnsafe(ref dYRef, (nuint)i) * yv * (Vector<float>.One - yv)).StoreUnsafe(ref dZRef, (nuint)i);
        }
        for (; i < y.Length; i++)
        {
            dZ[i] = dY[i] * y[i] * (1f - y[i]);
        }
    }
}
