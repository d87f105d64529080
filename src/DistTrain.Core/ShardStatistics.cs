namespace DistTrain.Core;

/// <summary>
/// What a pass over some samples measured: the sum of the per-sample losses (weight decay not
/// included), how many samples were classified correctly and how many there were.
/// </summary>
public readonly record struct ShardStatistics(double LossSum, int Correct, int Count)
{
    /// <summary>Mean per-sample loss; 0 when there are no samples.</summary>
    public double MeanLoss => Count == 0 ? 0 : LossSum / Count;

    /// <summary>Fraction classified correctly; 0 when there are no samples.</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;

    /// <summary>Statistics of two disjoint sample sets together.</summary>
    public static ShardStatistics operator +(ShardStatistics left, ShardStatistics right) =>
        new(left.LossSum + right.LossSum, left.Correct + right.Correct, left.Count + right.Count);
}
