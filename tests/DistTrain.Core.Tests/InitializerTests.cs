using DistTrain.Core.Tests.Reference;

namespace DistTrain.Core.Tests;

public sealed class InitializerTests
{
    [Theory]
    [InlineData(ActivationKind.Relu)]
    [InlineData(ActivationKind.Sigmoid)]
    public void Same_seed_gives_the_same_bits_and_other_seeds_differ(ActivationKind activation)
    {
        var spec = NetworkSpec.Default with { Activation = activation };
        float[] first = Initialize(spec, 5);
        float[] second = Initialize(spec, 5);
        float[] other = Initialize(spec, 6);

        Assert.True(first.AsSpan().SequenceEqual(second));
        Assert.True(first.Zip(other).Count(pair => pair.First != pair.Second) > first.Length * 0.99 - CountBiases(spec));
    }

    [Theory]
    [InlineData(ActivationKind.Relu)]
    [InlineData(ActivationKind.LeakyRelu)]
    [InlineData(ActivationKind.Elu)]
    public void ReLU_family_gets_He_normal_weights(ActivationKind activation)
    {
        var spec = NetworkSpec.Default with { Activation = activation };
        var layout = new ParameterLayout(spec);
        float[] parameters = Initialize(spec, 17);
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            var (_, rows, columns) = layout.Weights(layer);
            float[] weights = layout.WeightsOf(parameters.AsSpan(), layer).ToArray();
            double std = Math.Sqrt(2.0 / columns);
            var (mean, deviation) = Moments(weights);

            Assert.Equal(0, mean, 4 * std / Math.Sqrt(weights.Length));
            Assert.Equal(std, deviation, 0.1 * std);
            // A normal has ~68.3% within one standard deviation (a uniform would have 57.7%).
            if (weights.Length > 10_000)
            {
                Assert.Equal(0.683, weights.Count(w => Math.Abs(w) < std) / (double)weights.Length, 0.01);
            }
            Assert.Equal(rows * columns, weights.Length);
        }
        AssertBiasesZero(layout, parameters);
    }

    [Theory]
    [InlineData(ActivationKind.Sigmoid)]
    [InlineData(ActivationKind.Tanh)]
    public void Sigmoid_and_tanh_get_Glorot_uniform_weights(ActivationKind activation)
    {
        var spec = NetworkSpec.Default with { Activation = activation };
        var layout = new ParameterLayout(spec);
        float[] parameters = Initialize(spec, 18);
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            var (_, rows, columns) = layout.Weights(layer);
            float[] weights = layout.WeightsOf(parameters.AsSpan(), layer).ToArray();
            double limit = Math.Sqrt(6.0 / (rows + columns));
            var (mean, deviation) = Moments(weights);

            Assert.All(weights, w => Assert.InRange(w, -limit, limit));
            Assert.Equal(0, mean, 4 * limit / Math.Sqrt(3 * weights.Length));
            Assert.Equal(limit / Math.Sqrt(3), deviation, 0.1 * limit);
            Assert.True(weights.Max() > 0.9 * limit && weights.Min() < -0.9 * limit);
        }
        AssertBiasesZero(layout, parameters);
    }

    [Fact]
    public void Wrong_buffer_length_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Initializer.Initialize(NetworkSpec.Default, new float[10], 1));
    }

    private static float[] Initialize(NetworkSpec spec, int seed)
    {
        var parameters = new float[new ParameterLayout(spec).Count];
        // Garbage first, so zero biases must have been written.
        Array.Fill(parameters, float.NaN);
        Initializer.Initialize(spec, parameters, seed);
        return parameters;
    }

    private static int CountBiases(NetworkSpec spec) => spec.LayerSizes.Skip(1).Sum();

    private static void AssertBiasesZero(ParameterLayout layout, float[] parameters)
    {
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            Assert.All(layout.BiasOf(parameters.AsSpan(), layer).ToArray(), b => Assert.Equal(0f, b));
        }
    }

    private static (double Mean, double Deviation) Moments(float[] values)
    {
        double[] wide = SampleData.Widen(values);
        double mean = wide.Average();
        return (mean, Math.Sqrt(wide.Select(v => (v - mean) * (v - mean)).Average()));
    }
}
