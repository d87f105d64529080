// Production weight decay against the finite-difference-checked double reference (GradientCheckTests).
using DistTrain.Core.Tests.Reference;

namespace DistTrain.Core.Tests;

public sealed class WeightDecayTests
{
    private static readonly NetworkSpec Spec = new([13, 9, 5], ActivationKind.Relu, LossKind.CrossEntropy);

    [Fact]
    public void Gradient_adds_lambda_times_weights_and_leaves_biases_alone()
    {
        var layout = new ParameterLayout(Spec);
        float[] parameters = SampleData.Parameters(Spec, 3);
        float[] gradient = [.. Enumerable.Range(0, layout.Count).Select(i => 0.01f * i)];
        float[] before = [.. gradient];

        WeightDecay.AddGradient(layout, parameters, gradient, 0.3f);

        double[] decay = new ReferenceMlp<double>(Spec).PenaltyGradient(SampleData.Widen(parameters), 0.3);
        for (int i = 0; i < layout.Count; i++)
        {
            Assert.Equal(before[i] + decay[i], gradient[i], 1e-6);
        }
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            var (offset, length) = layout.Bias(layer);
            Assert.Equal(before.AsSpan(offset, length).ToArray(), gradient.AsSpan(offset, length).ToArray());
        }
    }

    [Fact]
    public void Block_by_block_gives_the_bits_of_one_call_and_stays_inside_its_block()
    {
        // 13·9 + 9 + 9·5 + 5 = 176 entries; blocks of 7 cut through weights and biases alike.
        var layout = new ParameterLayout(Spec);
        float[] parameters = SampleData.Parameters(Spec, 6);
        float[] whole = [.. Enumerable.Range(0, layout.Count).Select(i => 0.01f * i)];
        float[] blocked = [.. whole];
        WeightDecay.AddGradient(layout, parameters, whole, 0.3f);
        for (int start = 0; start < layout.Count; start += 7)
        {
            float[] before = [.. blocked];
            int length = Math.Min(7, layout.Count - start);
            WeightDecay.AddGradient(layout, parameters, blocked, 0.3f, start, length);
            Assert.Equal(before.AsSpan(0, start).ToArray(), blocked.AsSpan(0, start).ToArray());
            Assert.Equal(before.AsSpan(start + length).ToArray(), blocked.AsSpan(start + length).ToArray());
        }
        Assert.Equal(whole, blocked);
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightDecay.AddGradient(layout, parameters, blocked, 0.3f, 170, 7));
    }

    [Fact]
    public void Penalty_is_half_lambda_times_the_squared_weights()
    {
        var layout = new ParameterLayout(Spec);
        float[] parameters = SampleData.Parameters(Spec, 4);
        double expected = new ReferenceMlp<double>(Spec).Penalty(SampleData.Widen(parameters), 0.25);
        Assert.Equal(expected, WeightDecay.Penalty(layout, parameters, 0.25f), expected * 1e-12);

        // Biases do not count.
        layout.BiasOf(parameters.AsSpan(), 0).Fill(100f);
        Assert.Equal(expected, WeightDecay.Penalty(layout, parameters, 0.25f), expected * 1e-12);
    }

    [Fact]
    public void Zero_lambda_changes_nothing()
    {
        var layout = new ParameterLayout(Spec);
        float[] parameters = SampleData.Parameters(Spec, 5);
        float[] gradient = [.. parameters];
        WeightDecay.AddGradient(layout, parameters, gradient, 0f);
        Assert.Equal(parameters, gradient);
        Assert.Equal(0, WeightDecay.Penalty(layout, parameters, 0f));
    }
}
