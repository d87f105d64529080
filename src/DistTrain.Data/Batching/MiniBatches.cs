// Cuts an epoch's permutation into mini-batches of batchSize consecutive entries; the last partial batch is dropped.
namespace DistTrain.Data;

public static class MiniBatches
{
    /// <summary>Full batches per epoch: sampleCount / batchSize (the remainder is dropped, as the PyTorch peer does).</summary>
    public static int PerEpoch(int sampleCount, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return sampleCount / batchSize;
    }

    /// <summary>The sample indices of batch <paramref name="batchIndex"/> (from 0): permutation[batchIndex·batchSize ..][..batchSize].</summary>
    public static ReadOnlySpan<int> Indices(int[] permutation, int batchIndex, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(permutation);
        var batches = PerEpoch(permutation.Length, batchSize);
        if (batchIndex < 0 || batchIndex >= batches)
        {
            throw new ArgumentOutOfRangeException(
                nameof(batchIndex), batchIndex, $"An epoch of {permutation.Length} samples has {batches} full batches of {batchSize} (0..{batches - 1}).");
        }

        return permutation.AsSpan(batchIndex * batchSize, batchSize);
    }
}
