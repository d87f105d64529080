// Softmax + multiclass squared error. Per sample with label v, p = softmax(z), y = onehot(v):
//   loss = Σ_c (p_c − y_c)²
//   dP   = 2(p − y)
//   dZ   = Jᵀ·dP with the softmax Jacobian J_ck = p_c(δ_ck − p_k):  dZ_k = p_k·(dP_k − Σ_c p_c·dP_c)
// Sizes: N = samples, C = classes; logits Z [N × C], dZ [N × C] row-major.
namespace DistTrain.Core.Losses;

internal static class SoftmaxSquaredError
{
    /// <summary>Writes dZ (per-sample gradients, not averaged) and returns the loss sum, added in sample order.</summary>
    public static double LossAndGradient(ReadOnlySpan<float> z, ReadOnlySpan<byte> labels, int n, int c, Span<float> dZ)
    {
        double lossSum = 0;
        for (int row = 0; row < n; row++)
        {
            int label = Labels.Check(labels[row], c);
            Span<float> p = dZ.Slice(row * c, c);
            Softmax.Row(z.Slice(row * c, c), p);

            // C is small (10 for MNIST): plain loops, with double sums for an accurate loss.
            double loss = 0;
            double pDotDp = 0;
            for (int k = 0; k < c; k++)
            {
                double error = p[k] - (k == label ? 1.0 : 0.0);
                loss += error * error;
                pDotDp += p[k] * 2 * error;
            }
            lossSum += loss;

            for (int k = 0; k < c; k++)
            {
                double dP = 2 * (p[k] - (k == label ? 1.0 : 0.0));
                p[k] = (float)(p[k] * (dP - pDotDp));
            }
        }
        return lossSum;
    }
}
