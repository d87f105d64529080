using DistTrain.Core;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.ParameterShards;

namespace DistTrain.Training.Tests.ParameterShards;

public sealed class SlicePlanTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(16_384, 1)]
    [InlineData(16_385, 2)]
    [InlineData(235_146, 1)]
    [InlineData(235_146, 2)]
    [InlineData(235_146, 3)]
    [InlineData(235_146, 4)]
    [InlineData(235_146, 15)]
    public void Slices_cover_the_vector_in_order_on_block_boundaries_as_evenly_as_whole_blocks_allow(int parameters, int slices)
    {
        var plan = SlicePlan.Cut(parameters, slices);

        Assert.Equal(slices, plan.Length);
        Assert.Equal(0, plan[0].Offset);
        Assert.Equal(parameters, plan[^1].End);
        for (var i = 0; i < plan.Length; i++)
        {
            Assert.Equal(i, plan[i].Index);
            Assert.True(plan[i].Length > 0);
            Assert.Equal(0, plan[i].Offset % ParameterUpdate.BlockSize);
            if (i > 0)
            {
                Assert.Equal(plan[i - 1].End, plan[i].Offset);
            }
        }
        var blocks = plan.Select(s => SlicePlan.BlocksOf(s).Count()).ToList();
        Assert.Equal(SlicePlan.Blocks(parameters), blocks.Sum());
        Assert.True(blocks.Max() - blocks.Min() <= 1, string.Join(",", blocks));
    }

    [Fact]
    public void The_default_network_has_15_blocks()
    {
        var layout = new ParameterLayout(TrainingConfiguration.From(new TrainingOptions()).Network);
        Assert.Equal(235_146, layout.Count);
        Assert.Equal(15, SlicePlan.Blocks(layout.Count));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(16)]
    public void More_slices_than_blocks_or_fewer_than_one_are_refused_naming_the_option(int slices)
    {
        var e = Assert.Throws<OptionsException>(() => SlicePlan.Cut(235_146, slices));
        Assert.StartsWith("--parameter-shards:", e.Message, StringComparison.Ordinal);
        Assert.Contains("15 blocks", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_and_state_of_a_slice_go_out_and_come_back_in_place()
    {
        const int count = 40_000;
        var optimizer = Optimizers.Create(OptimizerKind.Adam, count);
        var random = new Random(3);
        float[] moments = [.. Enumerable.Range(0, 2 * count).Select(_ => random.NextSingle())];
        optimizer.Restore(moments, steps: 7);
        float[] parameters = [.. Enumerable.Range(0, count).Select(_ => random.NextSingle())];

        var back = new float[count];
        var state = new float[2 * count];
        foreach (var slice in SlicePlan.Cut(count, 3))
        {
            var values = slice.WeightsAndState(parameters, optimizer);
            Assert.Equal(3 * slice.Length, values.Length);
            slice.Scatter(values, back, state, count);
        }
        Assert.Equal(parameters, back);
        Assert.Equal(moments, state);
    }
}
