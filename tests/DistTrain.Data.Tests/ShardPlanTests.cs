namespace DistTrain.Data.Tests;

public sealed class ShardPlanTests
{
    [Fact]
    public void LargerShardsComeFirst()
    {
        var plan = ShardPlan.Cut(10, 4);

        Assert.Equal(new[] { new Shard(0, 0, 3), new Shard(1, 3, 3), new Shard(2, 6, 2), new Shard(3, 8, 2) }, plan);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(64, 1)]
    [InlineData(64, 3)]
    [InlineData(64, 64)]
    [InlineData(100, 7)]
    [InlineData(37, 36)]
    public void ShardsAreContiguousBalancedAndCoverTheBatch(int batchSize, int shards)
    {
        var plan = ShardPlan.Cut(batchSize, shards);

        Assert.Equal(shards, plan.Length);
        var next = 0;
        for (var i = 0; i < plan.Length; i++)
        {
            Assert.Equal(i, plan[i].Index);
            Assert.Equal(next, plan[i].Start);
            Assert.True(plan[i].Count >= 1);
            next += plan[i].Count;
        }

        Assert.Equal(batchSize, next);
        Assert.InRange(plan.Max(s => s.Count) - plan.Min(s => s.Count), 0, 1);
        Assert.Equal(batchSize % shards, plan.Count(s => s.Count == (batchSize / shards) + 1 && batchSize % shards != 0));
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 11)]
    [InlineData(10, -1)]
    [InlineData(0, 1)]
    public void RejectsImpossibleCuts(int batchSize, int shards)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ShardPlan.Cut(batchSize, shards));

        Assert.NotEmpty(e.Message);
    }

    [Fact]
    public void TooManyShardsMessageGivesTheRange()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ShardPlan.Cut(10, 11));

        Assert.Equal("shards", e.ParamName);
        Assert.Contains("1..10", e.Message, StringComparison.Ordinal);
    }
}
