// Splits a mini-batch among workers: contiguous shards whose sizes differ by at most one, the larger ones first.
namespace DistTrain.Data;

public static class ShardPlan
{
    /// <summary>Cuts <paramref name="batchSize"/> samples into <paramref name="shards"/> contiguous shards (1 ≤ shards ≤ batchSize).</summary>
    public static Shard[] Cut(int batchSize, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (shards < 1 || shards > batchSize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(shards), shards, $"A batch of {batchSize} samples can be cut into 1..{batchSize} shards, so every shard gets at least one sample.");
        }

        var small = batchSize / shards;
        var larger = batchSize % shards;
        var plan = new Shard[shards];
        var start = 0;
        for (var i = 0; i < shards; i++)
        {
            var count = i < larger ? small + 1 : small;
            plan[i] = new Shard(i, start, count);
            start += count;
        }

        return plan;
    }
}
