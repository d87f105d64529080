namespace DistTrain.Core.Tests;

public sealed class OptimizerTests
{
    [Fact]
    public void Sgd_step_subtracts_rate_times_gradient()
    {
        IOptimizer sgd = Optimizers.Create(OptimizerKind.Sgd, 3);
        float[] w = [1f, 2f, 3f];
        sgd.Step(w, [0.5f, -1f, 2f], 0.1f);
        // 1 − 0.05, 2 + 0.1, 3 − 0.2
        Assert.Equal(0.95, w[0], 1e-6);
        Assert.Equal(2.1, w[1], 1e-6);
        Assert.Equal(2.8, w[2], 1e-6);
        Assert.Equal(1, sgd.Steps);
        Assert.Empty(sgd.State);
    }

    [Fact]
    public void Momentum_follows_the_PyTorch_convention()
    {
        IOptimizer momentum = Optimizers.Create(OptimizerKind.Momentum, 1, momentum: 0.9f);
        float[] w = [1f];
        // v₁ = g₁ = 0.5;  w₁ = 1 − 0.1·0.5 = 0.95
        momentum.Step(w, [0.5f], 0.1f);
        Assert.Equal(0.95, w[0], 1e-6);
        Assert.Equal(0.5f, momentum.State[0]);
        // v₂ = 0.9·0.5 + 0.25 = 0.7;  w₂ = 0.95 − 0.1·0.7 = 0.88
        momentum.Step(w, [0.25f], 0.1f);
        Assert.Equal(0.88, w[0], 1e-6);
        Assert.Equal(0.7, momentum.State[0], 1e-6);
        Assert.Equal(2, momentum.Steps);
    }

    [Fact]
    public void Adam_applies_bias_corrected_moments()
    {
        IOptimizer adam = Optimizers.Create(OptimizerKind.Adam, 1, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f);
        float[] w = [1f];
        // m₁ = 0.1·0.5 = 0.05, v₁ = 0.001·0.25 = 0.00025; m̂ = 0.5, v̂ = 0.25
        // w₁ = 1 − 0.01·0.5/(√0.25 + 1e-8) = 0.99
        adam.Step(w, [0.5f], 0.01f);
        Assert.Equal(0.99, w[0], 1e-6);
        // m₂ = 0.9·0.05 − 0.1·0.25 = 0.02, v₂ = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
        // m̂ = 0.02/0.19 = 0.1052632, v̂ = 0.00031225/0.001999 = 0.1562031, √v̂ = 0.3952254
        // w₂ = 0.99 − 0.01·0.1052632/0.3952254 = 0.9873366
        adam.Step(w, [-0.25f], 0.01f);
        Assert.Equal(0.9873366, w[0], 1e-6);
        float[] state = adam.State;
        Assert.Equal([0.02f, 0.00031225f], state, (a, b) => Math.Abs(a - b) < 1e-7);
        Assert.Equal(2, adam.Steps);
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Momentum)]
    [InlineData(OptimizerKind.Adam)]
    public void Restoring_state_continues_bit_for_bit(OptimizerKind kind)
    {
        const int count = 37;
        var random = new Random(5);
        float[][] gradients = [.. Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, count).Select(_ => 2 * random.NextSingle() - 1).ToArray())];
        float[] start = [.. Enumerable.Range(0, count).Select(_ => random.NextSingle())];

        IOptimizer uninterrupted = Optimizers.Create(kind, count);
        float[] w = [.. start];
        float[] checkpoint = [];
        float[] checkpointState = [];
        long checkpointSteps = 0;
        for (int step = 0; step < gradients.Length; step++)
        {
            if (step == 3)
            {
                checkpoint = [.. w];
                checkpointState = uninterrupted.State;
                checkpointSteps = uninterrupted.Steps;
            }
            uninterrupted.Step(w, gradients[step], 0.05f);
        }

        IOptimizer resumed = Optimizers.Create(kind, count);
        resumed.Restore(checkpointState, checkpointSteps);
        Assert.Equal(3, resumed.Steps);
        for (int step = 3; step < gradients.Length; step++)
        {
            resumed.Step(checkpoint, gradients[step], 0.05f);
        }

        Assert.True(w.AsSpan().SequenceEqual(checkpoint), "resumed parameters differ");
        Assert.True(uninterrupted.State.AsSpan().SequenceEqual(resumed.State), "resumed state differs");
        Assert.Equal(uninterrupted.Steps, resumed.Steps);
        Assert.False(start.AsSpan().SequenceEqual(w));
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Momentum)]
    [InlineData(OptimizerKind.Adam)]
    public void A_step_taken_slice_by_slice_gives_the_bits_of_one_step(OptimizerKind kind)
    {
        // Uneven slices, none a multiple of a vector: vector bodies and scalar tails must agree.
        const int count = 101;
        int[] cuts = [0, 5, 18, 19, 64, 101];
        var random = new Random(9);
        IOptimizer whole = Optimizers.Create(kind, count);
        IOptimizer sliced = Optimizers.Create(kind, count);
        float[] w = [.. Enumerable.Range(0, count).Select(_ => random.NextSingle())];
        float[] v = [.. w];
        for (int step = 0; step < 3; step++)
        {
            float[] g = [.. Enumerable.Range(0, count).Select(_ => (2 * random.NextSingle() - 1) * MathF.Pow(10, random.Next(-4, 3)))];
            whole.Step(w, g, 0.05f);
            for (int c = 0; c + 1 < cuts.Length; c++)
            {
                sliced.StepSlice(cuts[c], v.AsSpan(cuts[c]..cuts[c + 1]), g.AsSpan(cuts[c]..cuts[c + 1]), 0.05f);
            }
            Assert.Equal(step, sliced.Steps);
            sliced.EndStep();
        }

        Assert.True(w.AsSpan().SequenceEqual(v), "sliced parameters differ");
        Assert.True(whole.State.AsSpan().SequenceEqual(sliced.State), "sliced state differs");
        Assert.Equal(whole.Steps, sliced.Steps);
        Assert.Throws<ArgumentException>(() => sliced.StepSlice(100, new float[2], new float[2], 0.1f));
        Assert.Throws<ArgumentException>(() => sliced.StepSlice(0, new float[2], new float[3], 0.1f));
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, 0)]
    [InlineData(OptimizerKind.Momentum, 10)]
    [InlineData(OptimizerKind.Adam, 20)]
    public void State_has_the_documented_length_is_a_copy_and_rejects_wrong_lengths(OptimizerKind kind, int stateLength)
    {
        IOptimizer optimizer = Optimizers.Create(kind, 10);
        Assert.Equal(kind, optimizer.Kind);
        optimizer.Step(new float[10], [.. Enumerable.Repeat(1f, 10)], 0.1f);
        float[] state = optimizer.State;
        Assert.Equal(stateLength, state.Length);
        if (stateLength > 0)
        {
            state[0] = 1234f;
            Assert.NotEqual(1234f, optimizer.State[0]);
        }

        var error = Assert.Throws<ArgumentException>(() => optimizer.Restore(new float[stateLength + 1], 1));
        Assert.Contains(stateLength.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Throws<ArgumentException>(() => optimizer.Step(new float[9], new float[9], 0.1f));
        Assert.Throws<ArgumentException>(() => optimizer.Step(new float[10], new float[11], 0.1f));
    }

    [Fact]
    public void Invalid_hyperparameters_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Create(OptimizerKind.Sgd, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Create(OptimizerKind.Momentum, 1, momentum: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Create(OptimizerKind.Adam, 1, beta1: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Create(OptimizerKind.Adam, 1, beta2: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Create(OptimizerKind.Adam, 1, epsilon: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Create((OptimizerKind)9, 1));
    }
}
