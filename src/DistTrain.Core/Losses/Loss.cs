// Dispatch from LossKind to the fused softmax losses.
// Sizes: N = samples, C = classes; logits Z [N × C], dZ [N × C] row-major.
namespace DistTrain.Core.Losses;

internal static class Loss
{
    /// <summary>Loss sum and correct count of N samples; dZ receives each sample's loss gradient w.r.t. its logits.</summary>
    public static ShardStatistics Evaluate(LossKind kind, ReadOnlySpan<float> z, ReadOnlySpan<byte> labels, int n, int c, Span<float> dZ)
    {
        double lossSum = kind switch
        {
            LossKind.CrossEntropy => SoftmaxCrossEntropy.LossAndGradient(z, labels, n, c, dZ),
            LossKind.MeanSquaredError => SoftmaxSquaredError.LossAndGradient(z, labels, n, c, dZ),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown loss."),
        };
        return new ShardStatistics(lossSum, Labels.CountCorrect(z, labels, n, c), n);
    }
}
