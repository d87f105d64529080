// Leaky ReLU with slope 0.1: y = max(0.1·z, z);  dZ = dY · (z > 0 ? 1 : 0.1).
// Elementwise over any length (N·H for a batch of N rows of H units).
using System.Numerics;
using System.Runtime.InteropServices;

namespace DistTrain.Core.Activations;

internal static class LeakyRelu
{
    public const float Slope = 0.1f;

    public static void Forward(ReadOnlySpan<float> z, Span<float> y)
    {
        Lengths.Check(z.Length, z.Length, y.Length);
        ref float zRef = ref MemoryMarshal.GetReference(z);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        var slope = new Vector<float>(Slope);
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = Vector.LoadUnsafe(ref zRef, (nuint)i);
            Vector.Max(zv * slope, zv).StoreUnsafe(ref yRef, (nuint)i);
        }
        for (; i < z.Length; i++)
        {
            y[i] = MathF.Max(Slope * z[i], z[i]);
        }
    }

    /// <summary>dZ may be the same span as dY.</summary>
    public static void Backward(ReadOnlySpan<float> z, ReadOnlySpan<float> dY, Span<float> dZ)
    {
        Lengths.Check(z.Length, dY.Length, dZ.Length);
        ref float zRef = ref MemoryMarshal.GetReference(z);
        ref float dYRef = ref MemoryMarshal.GetReference(dY);
        ref float dZRef = ref MemoryMarshal.GetReference(dZ);
        var slope = new Vector<float>(Slope);
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = Vector.LoadUnsafe(ref zRef, (nuint)i);
            var gv = Vector.LoadUnsafe(ref dYRef, (nuint)i);
            Vector.ConditionalSelect(Vector.GreaterThan(zv, Vector<float>.Zero), gv, gv * slope).StoreUnsafe(ref dZRef, (nuint)i);
        }
        for (; i < z.Length; i++)
        {
            dZ[i] = z[i] > 0 ? dY[i] : dY[i] * Slope;
        }
    }
}
