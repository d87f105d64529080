using DistTrain.Training.Outputs.Charts;

namespace DistTrain.Training.Tests;

/// <summary>The chart's axes: round ticks that cover the data and stay within what the quantity can be.</summary>
public sealed class AxisScaleTests
{
    [Theory]
    [InlineData(new[] { 0.0118, 0.2631 }, 0.0, 0.30, 0.05)]
    [InlineData(new[] { 0.0649, 0.9371 }, 0.0, 1.0, 0.2)]
    [InlineData(new[] { 0.9212, 0.9968 }, 0.92, 1.0, 0.02)]
    [InlineData(new[] { 0.96, 0.982 }, 0.96, 0.985, 0.005)]
    [InlineData(new[] { 2.3, 1234567.0 }, 0.0, 1500000.0, 500000.0)]
    public void Ticks_are_round_steps_that_cover_the_data(double[] values, double min, double max, double step)
    {
        var scale = AxisScale.Covering(values, 0, double.PositiveInfinity);
        Assert.Equal(min, scale.Min, 9);
        Assert.Equal(max, scale.Max, 9);
        Assert.Equal(step, scale.Step, 12);
        Assert.True(scale.Min <= values.Min() && scale.Max >= values.Max());
        Assert.InRange(scale.Ticks.Count, 3, 8);
        Assert.All(scale.Ticks, t => Assert.Equal(Math.Round(t / step), t / step, 6));
    }

    [Fact]
    public void Loss_never_goes_below_zero_and_accuracy_never_leaves_0_to_1()
    {
        var loss = AxisScale.Covering([0.0, 0.004, 0.05], 0, double.PositiveInfinity);
        var accuracy = AxisScale.Covering([0.995, 1.0], 0, 1);
        var flatAtOne = AxisScale.Covering([1.0, 1.0], 0, 1);
        var flatAtZero = AxisScale.Covering([0.0], 0, double.PositiveInfinity);

        Assert.Equal(0, loss.Min);
        Assert.Equal(1, accuracy.Max, 12);
        Assert.True(flatAtOne.Max <= 1 && flatAtOne.Min < 1, $"{flatAtOne.Min}..{flatAtOne.Max}");
        Assert.True(flatAtZero.Min >= 0 && flatAtZero.Max > 0, $"{flatAtZero.Min}..{flatAtZero.Max}");
    }

    [Fact]
    public void Labels_carry_the_digits_the_step_needs()
    {
        var loss = AxisScale.Covering([0.0118, 0.2631], 0, double.PositiveInfinity);
        var accuracy = AxisScale.Covering([0.96, 0.982], 0, 1);

        Assert.Equal(["0.00", "0.05", "0.10", "0.15", "0.20", "0.25", "0.30"], loss.Ticks.Select(loss.Label));
        Assert.Equal(["96.0%", "96.5%", "97.0%", "97.5%", "98.0%", "98.5%"], accuracy.Ticks.Select(accuracy.PercentLabel));
    }

    [Fact]
    public void Non_finite_values_are_left_out()
    {
        var scale = AxisScale.Covering([0.5, double.NaN, double.PositiveInfinity, 0.1], 0, double.PositiveInfinity);
        Assert.Equal(0.1, scale.Min, 9);
        Assert.Equal(0.5, scale.Max, 9);
    }

    [Theory]
    [InlineData(1, 1, new[] { 1 })]
    [InlineData(1, 10, new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })]
    [InlineData(1, 20, new[] { 2, 4, 6, 8, 10, 12, 14, 16, 18, 20 })]
    [InlineData(1, 40, new[] { 5, 10, 15, 20, 25, 30, 35, 40 })]
    public void Epoch_ticks_are_whole_and_at_most_ten(int first, int last, int[] expected)
    {
        Assert.Equal(expected, new EpochAxis(first, last).Ticks);
    }
}
