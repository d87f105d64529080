namespace DistTrain.Data.Tests;

public sealed class BatchGatherTests
{
    private static readonly LabeledImages Images = new(
        Enumerable.Range(0, 5 * 6).Select(i => (byte)(i * 3)).ToArray(), [4, 3, 2, 1, 0], rows: 2, columns: 3);

    [Fact]
    public void CopiesTheIndexedSamplesInOrder()
    {
        var pixels = new byte[3 * 6];
        var labels = new byte[3];

        BatchGather.Gather(Images, [4, 0, 4], pixels, labels);

        Assert.Equal(new byte[] { 0, 4, 0 }, labels);
        Assert.Equal(Images.PixelsOf(4, 1).ToArray(), pixels[..6]);
        Assert.Equal(Images.PixelsOf(0, 1).ToArray(), pixels[6..12]);
        Assert.Equal(Images.PixelsOf(4, 1).ToArray(), pixels[12..]);
    }

    [Fact]
    public void GathersAShardOfAShuffledBatch()
    {
        var permutation = new EpochShuffler(Images.Count, 3).Permutation(1);
        var shard = ShardPlan.Cut(4, 2)[1];
        var indices = MiniBatches.Indices(permutation, 0, 4).Slice(shard.Start, shard.Count);
        var pixels = new byte[shard.Count * Images.PixelsPerImage];
        var labels = new byte[shard.Count];

        BatchGather.Gather(Images, indices, pixels, labels);

        for (var b = 0; b < shard.Count; b++)
        {
            Assert.Equal(Images.Labels.Span[indices[b]], labels[b]);
            Assert.Equal(Images.PixelsOf(indices[b], 1).ToArray(), pixels.AsSpan(b * 6, 6).ToArray());
        }
    }

    [Fact]
    public void RejectsWrongBufferSizesAndIndices()
    {
        Assert.Throws<ArgumentException>(() => BatchGather.Gather(Images, [1, 2], new byte[11], new byte[2]));
        Assert.Throws<ArgumentException>(() => BatchGather.Gather(Images, [1, 2], new byte[12], new byte[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchGather.Gather(Images, [1, 5], new byte[12], new byte[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchGather.Gather(Images, [-1], new byte[6], new byte[1]));
    }
}
