namespace DistTrain.Core.Tests;

public sealed class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0, 0.5f)]
    [InlineData(500, 0.5f)]
    [InlineData(999, 0.5f)]
    public void Constant_never_changes(long iteration, float expected) =>
        Assert.Equal(expected, LearningRateSchedule.Rate(ScheduleKind.Constant, 0.5f, iteration, 1000));

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(499, 1.0)]
    [InlineData(500, 0.1)]
    [InlineData(749, 0.1)]
    [InlineData(750, 0.01)]
    [InlineData(999, 0.01)]
    public void Step_drops_tenfold_at_half_and_three_quarters(long iteration, double factor) =>
        Assert.Equal(0.2 * factor, LearningRateSchedule.Rate(ScheduleKind.Step, 0.2f, iteration, 1000), 1e-7);

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(250, 0.8535534)]
    [InlineData(500, 0.5)]
    [InlineData(750, 0.1464466)]
    [InlineData(1000, 0.0)]
    public void Cosine_falls_from_the_base_rate_to_zero(long iteration, double factor) =>
        Assert.Equal(0.1 * factor, LearningRateSchedule.Rate(ScheduleKind.Cosine, 0.1f, iteration, 1000), 1e-7);

    [Fact]
    public void Cosine_decreases_monotonically()
    {
        float previous = float.MaxValue;
        for (long t = 0; t < 100; t++)
        {
            float rate = LearningRateSchedule.Rate(ScheduleKind.Cosine, 1f, t, 100);
            Assert.True(rate < previous);
            previous = rate;
        }
        Assert.True(previous > 0);
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Rate(ScheduleKind.Step, 1f, -1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Rate(ScheduleKind.Cosine, 1f, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Rate((ScheduleKind)7, 1f, 0, 10));
    }
}
