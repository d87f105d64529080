// Softmax + cross-entropy, fused. Per sample with label v:
//   loss = −log p_v = log Σ_k e^(z_k − max z) − (z_v − max z)
//   dZ   = p − onehot(v)
// Sizes: N = samples, C = classes; logits Z [N × C], dZ [N × C] row-major.
namespace DistTrain.Core.Losses;

internal static class SoftmaxCrossEntropy
{
    /// <summary>Writes dZ (per-sample gradients, not averaged) and returns the loss sum, added in sample order.</summary>
    public static double LossAndGradient(ReadOnlySpan<float> z, ReadOnlySpan<byte> labels, int n, int c, Span<float> dZ)
    {
        double lossSum = 0;
        for (int row = 0; row < n; row++)
        {
            int label = Labels.Check(labels[row], c);
            ReadOnlySpan<float> zRow = z.Slice(row * c, c);
            Span<float> dRow = dZ.Slice(row * c, c);

            var (logSum, max) = Softmax.Row(zRow, dRow);
            lossSum += logSum - ((double)zRow[label] - max);
            dRow[label] -= 1f;
        }
        return lossSum;
    }
}
