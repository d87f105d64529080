// Logistic sigmoid: y = 1 / (1 + e⁻ᶻ);  dZ = dY · y·(1 − y).
// Elementwise over any length (N·H for a batch of N rows of H units).
using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core.Activations;

internal static class Sigmoid
{
    public static void Forward(ReadOnlySpan<float> z, Span<float> y) => TensorPrimitives.Sigmoid(z, y);

    /// <summary>dZ may be the same span as dY.</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dY, Span<float> dZ)
    {
        int i = 0;
        for (; i <= y.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var yv = new Vector<float>(y[i..]);
            (new Vector<float>(dY[i..]) * yv * (Vector<float>.One - yv)).CopyTo(dZ[i..]);
        }
        for (; i < y.Length; i++)
        {
            dZ[i] = dY[i] * y[i] * (1f - y[i]);
        }
    }
}
