// The order in which an epoch visits the samples: a seeded Fisher-Yates permutation of 0..sampleCount-1.
// It depends only on (seed, epoch), so every worker and a resumed run compute the same order without talking.
using DistTrain.Core.Randomness;

namespace DistTrain.Data;

public sealed class EpochShuffler
{
    private readonly int sampleCount;
    private readonly int seed;

    public EpochShuffler(int sampleCount, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleCount);
        this.sampleCount = sampleCount;
        this.seed = seed;
    }

    /// <summary>A fresh permutation of 0..sampleCount-1 for <paramref name="epoch"/> (counting from 1).</summary>
    public int[] Permutation(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);

        // One distinct 64-bit stream key per (seed, epoch) pair.
        var rng = new Xoshiro256StarStar(((ulong)(uint)seed << 32) | (uint)epoch);
        var order = new int[sampleCount];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = (int)rng.NextBelow((ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }
}
