// Leaky ReLU with slope 0.1: y = max(0.1·z, z);  dZ = dY · (z > 0 ? 1 : 0.1).
// Elementwise over any length (N·H for a batch of N rows of H units).
using System.Numerics;

namespace DistTrain.Core.Activations;

internal static class LeakyRelu
{
    public const float Slope = 0.1f;

    public static void Forward(ReadOnlySpan<float> z, Span<float> y)
    {
        var slope = new Vector<float>(Slope);
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = new Vector<float>(z[i..]);
            Vector.Max(zv * slope, zv).CopyTo(y[i..]);
        }
        for (; i < z.Length; i++)
        {
            y[i] = MathF.Max(Slope * z[i], z[i]);
        }
    }

    /// <summary>dZ may be the same span as dY.</summary>
    public static void Backward(ReadOnlySpan<float> z, ReadOnlySpan<float> dY, Span<float> dZ)
    {
        var slope = new Vector<float>(Slope);
        int i = 0;
        for (; i <= z.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var zv = new Vector<float>(z[i..]);
            var gv = new Vector<float>(dY[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(zv, Vector<float>.Zero), gv, gv * slope).CopyTo(dZ[i..]);
        }
        for (; i < z.Length; i++)
        {
            dZ[i] = z[i] > 0 ? dY[i] : dY[i] * Slope;
        }
    }
}
