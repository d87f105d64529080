using System.Runtime.InteropServices;
using DistTrain.Training.Loop;

namespace DistTrain.Training.Tests;

/// <summary>A shard outcome's gradient: its own buffer, or received bytes lent until the loop has added them.</summary>
public class ShardOutcomeTests
{
    [Fact]
    public void A_lent_gradient_is_read_in_place_and_released_once()
    {
        var outcome = new ShardOutcome(3);
        outcome.Buffer[0] = 9f;
        var bytes = MemoryMarshal.AsBytes<float>([1f, -2f, 0.5f]).ToArray();
        var releases = 0;
        outcome.Lend(bytes, () => releases++);
        Assert.Equal([1f, -2f, 0.5f], outcome.Gradient.ToArray());
        outcome.Release();
        outcome.Release();
        Assert.Equal(1, releases);
        Assert.Equal([9f, 0f, 0f], outcome.Gradient.ToArray());
    }

    [Fact]
    public void A_new_loan_releases_the_previous_one_and_a_wrong_length_is_refused()
    {
        var outcome = new ShardOutcome(2);
        var first = 0;
        outcome.Lend(new byte[8], () => first++);
        outcome.Lend(new byte[8], () => { });
        Assert.Equal(1, first);
        Assert.Throws<ArgumentException>(() => outcome.Lend(new byte[7], () => { }));
    }
}
