// ReLU: y = max(0, z);  dZ = dY · 1{z > 0}.
// Elementwise over any length (N·H for a batch of N rows of H units).
using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core.Activations;

internal static class Relu
{
    public static void Forward(ReadOnlySpan<float> z, Span<float> y) => TensorPrimitives.Max(z, 0f, y);

    /// <summary>dZ may be the same span as dY.</summary>
    public static void Backward(ReadOnlySpan<float> z, ReadOnlySpan<float> dY, Span<float> dZ)
    {
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = new Vector<float>(z[i..]);
            var gv = new Vector<float>(dY[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(zv, Vector<float>.Zero), gv, Vector<float>.Zero).CopyTo(dZ[i..]);
        }
        for (; i < z.Length; i++)
        {
            dZ[i] = z[i] > 0 ? dY[i] : 0f;
        }
    }
}
