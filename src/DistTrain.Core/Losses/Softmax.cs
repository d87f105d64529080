// Numerically stable softmax of one row: p_c = e^(z_c − max z) / Σ_k e^(z_k − max z).
// Sizes: C = classes; z [C], p [C].
using System.Numerics.Tensors;

namespace DistTrain.Core.Losses;

internal static class Softmax
{
    /// <summary>Writes p and returns log Σ_k e^(z_k − max z) and max z, the pieces of log p.</summary>
    public static (double LogSum, float Max) Row(ReadOnlySpan<float> z, Span<float> p)
    {
        // Shifting by the row maximum keeps every exponent ≤ 0: no overflow, and the largest term is 1.
        float max = TensorPrimitives.Max(z);
        TensorPrimitives.Subtract(z, max, p);
        TensorPrimitives.Exp(p, p);
        float sum = TensorPrimitives.Sum(p);
        TensorPrimitives.Divide(p, sum, p);
        return (Math.Log(sum), max);
    }
}
