// ReLU: y = max(0, z);  dZ = dY · 1{z > 0}.
// Elementwise over any length (N·H for a batch of N rows of H units).
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DistTrain.Core.Activations;

internal static class Relu
{
    public static void Forward(ReadOnlySpan<float> z, Span<float> y) => TensorPrimitives.Max(z, 0f, y);

    /// <summary>dZ may be the same span as dY.</summary>
    public static void Backward(ReadOnlySpan<float> z, ReadOnlySpan<float> dY, Span<float> dZ)
    {
        Lengths.Check(z.Length, dY.Length, dZ.Length);
        ref float zRef = ref MemoryMarshal.GetReference(z);
        ref float dYRef = ref MemoryMarshal.GetReference(dY);
        ref float dZRef = ref MemoryMarshal.GetReference(dZ);
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = Vector.LoadUnsafe(ref zRef, (nuint)i);
            var gv = Vector.LoadUnsafe(ref dYRef, (nuint)i);
            Vector.ConditionalSelect(Vector.GreaterThan(zv, Vector<float>.Zero), gv, Vector<float>.Zero).StoreUnsafe(ref dZRef, (nuint)i);
        }
        for (; i < z.Length; i++)
        {
            dZ[i] = z[i] > 0 ? dY[i] : 0f;
        }
    }
}
