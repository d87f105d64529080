// Numerically stable softmax of one row: p_c = e^(z_c − max z) / Σ_k e^(z_k − max z).
// Sizes: C = classes; z [C], p [C].
namespace DistTrain.Core.Losses;

internal static class Softmax
{
    /// <summary>Writes p and returns log Σ_k e^(z_k − max z) and max z, the pieces of log p.</summary>
    public static (double LogSum, float Max) Row(ReadOnlySpan<float> z, Span<float> p)
    {
        // C is the class count (10 for MNIST): too short for vector calls to pay off.
        float max = z[0];
        for (int k = 1; k < z.Length; k++)
        {
            max = z[k] > max ? z[k] : max;
        }

        // Shifting by the row maximum keeps every exponent ≤ 0: no overflow, and the largest term is 1.
        float sum = 0;
        for (int k = 0; k < z.Length; k++)
        {
            p[k] = MathF.Exp(z[k] - max);
            sum += p[k];
        }
        for (int k = 0; k < z.Length; k++)
        {
            p[k] /= sum;
        }
        return (Math.Log(sum), max);
    }
}
