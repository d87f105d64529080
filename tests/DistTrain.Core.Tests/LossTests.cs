// The fused float softmax losses: hand-computed values, stability, and agreement with the double reference.
using DistTrain.Core.Losses;
using DistTrain.Core.Tests.Reference;

namespace DistTrain.Core.Tests;

public sealed class LossTests
{
    [Fact]
    public void Equal_logits_give_the_hand_computed_losses()
    {
        // Two classes, equal logits: p = (½, ½), label 0.
        float[] z = [3f, 3f];
        var dZ = new float[2];

        ShardStatistics crossEntropy = Loss.Evaluate(LossKind.CrossEntropy, z, [0], 1, 2, dZ);
        Assert.Equal(Math.Log(2), crossEntropy.LossSum, 1e-7);
        Assert.Equal([-0.5f, 0.5f], dZ);

        // (½ − 1)² + (½)² = ½;  dP = (−1, 1);  Σ p·dP = 0;  dZ = p ⊙ dP = (−½, ½).
        ShardStatistics squared = Loss.Evaluate(LossKind.MeanSquaredError, z, [0], 1, 2, dZ);
        Assert.Equal(0.5, squared.LossSum, 1e-7);
        Assert.Equal([-0.5f, 0.5f], dZ);
    }

    [Fact]
    public void Cross_entropy_matches_the_lecture_example()
    {
        // Logits (3.2, 5.1, −1.7, −3.7), label "cat" (index 1): softmax ≈ (0.13, 0.87, 0, 0), loss ≈ 0.14.
        float[] z = [3.2f, 5.1f, -1.7f, -3.7f];
        var dZ = new float[4];
        ShardStatistics statistics = Loss.Evaluate(LossKind.CrossEntropy, z, [1], 1, 4, dZ);
        Assert.Equal(0.14, statistics.LossSum, 0.01);
        Assert.Equal(0.13, dZ[0], 0.01);
        Assert.Equal(0.87 - 1, dZ[1], 0.01);
        Assert.Equal(1, statistics.Correct);
    }

    [Theory]
    [InlineData(LossKind.CrossEntropy)]
    [InlineData(LossKind.MeanSquaredError)]
    public void Agrees_with_the_double_reference_per_sample(LossKind kind)
    {
        var random = new Random(91);
        const int n = 13, c = 10;
        float[] z = [.. Enumerable.Range(0, n * c).Select(_ => 16 * random.NextSingle() - 8)];
        byte[] labels = [.. Enumerable.Range(0, n).Select(_ => (byte)random.Next(c))];
        var dZ = new float[n * c];

        ShardStatistics statistics = Loss.Evaluate(kind, z, labels, n, c, dZ);

        double expectedLoss = 0;
        for (int row = 0; row < n; row++)
        {
            double[] logits = SampleData.Widen(z.AsSpan(row * c, c));
            expectedLoss += ReferenceLoss<double>.Value(kind, logits, labels[row]);
            double[] expected = ReferenceLoss<double>.Gradient(kind, logits, labels[row]);
            for (int k = 0; k < c; k++)
            {
                Assert.True(Math.Abs(dZ[row * c + k] - expected[k]) <= 1e-6, $"row {row} class {k}: {dZ[row * c + k]} vs {expected[k]}");
            }
        }
        Assert.Equal(expectedLoss, statistics.LossSum, expectedLoss * 1e-6);
    }

    [Theory]
    [InlineData(LossKind.CrossEntropy)]
    [InlineData(LossKind.MeanSquaredError)]
    public void Logits_far_beyond_exp_range_stay_finite_and_exact(LossKind kind)
    {
        // e^1000 overflows a float; subtracting the row maximum avoids it.
        float[] z = [1000f, 990f, -1000f];
        var dZ = new float[3];
        ShardStatistics statistics = Loss.Evaluate(kind, z, [1], 1, 3, dZ);

        double[] logits = SampleData.Widen(z);
        Assert.Equal(ReferenceLoss<double>.Value(kind, logits, 1), statistics.LossSum, 1e-5);
        double[] expected = ReferenceLoss<double>.Gradient(kind, logits, 1);
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(expected[k], dZ[k], 1e-6);
        }
    }

    [Fact]
    public void Accuracy_counts_the_first_maximum()
    {
        // Row 0: tie between classes 1 and 2 → 1 wins. Row 1: clear maximum at 0.
        float[] z = [0f, 5f, 5f, 9f, 1f, 2f];
        var dZ = new float[6];
        Assert.Equal(2, Loss.Evaluate(LossKind.CrossEntropy, z, [1, 0], 2, 3, dZ).Correct);
        Assert.Equal(0, Loss.Evaluate(LossKind.CrossEntropy, z, [2, 1], 2, 3, dZ).Correct);
    }
}
