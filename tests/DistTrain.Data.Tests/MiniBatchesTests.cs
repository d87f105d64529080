namespace DistTrain.Data.Tests;

public sealed class MiniBatchesTests
{
    [Theory]
    [InlineData(60000, 64, 937)]
    [InlineData(60000, 100, 600)]
    [InlineData(10, 3, 3)]
    [InlineData(2, 3, 0)]
    public void DropsTheLastPartialBatch(int samples, int batchSize, int expected)
        => Assert.Equal(expected, MiniBatches.PerEpoch(samples, batchSize));

    [Fact]
    public void BatchesAreConsecutiveSlicesOfThePermutation()
    {
        int[] permutation = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];

        Assert.Equal(new[] { 9, 8, 7 }, MiniBatches.Indices(permutation, 0, 3).ToArray());
        Assert.Equal(new[] { 3, 2, 1 }, MiniBatches.Indices(permutation, 2, 3).ToArray());
    }

    [Fact]
    public void RejectsBatchesPastTheEpoch()
    {
        int[] permutation = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0];

        Assert.Throws<ArgumentOutOfRangeException>(() => MiniBatches.Indices(permutation, 3, 3).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniBatches.Indices(permutation, -1, 3).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniBatches.PerEpoch(10, 0));
    }
}
