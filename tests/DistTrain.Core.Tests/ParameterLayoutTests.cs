namespace DistTrain.Core.Tests;

public sealed class ParameterLayoutTests
{
    [Fact]
    public void Each_layer_stores_weights_row_major_then_bias()
    {
        var layout = new ParameterLayout(new NetworkSpec([3, 2, 4], ActivationKind.Relu, LossKind.CrossEntropy));
        Assert.Equal(2, layout.LayerCount);
        Assert.Equal(3 * 2 + 2 + 2 * 4 + 4, layout.Count);
        Assert.Equal((0, 2, 3), layout.Weights(0));
        Assert.Equal((6, 2), layout.Bias(0));
        Assert.Equal((8, 4, 2), layout.Weights(1));
        Assert.Equal((16, 4), layout.Bias(1));

        float[] parameters = [.. Enumerable.Range(0, layout.Count).Select(i => (float)i)];
        Assert.Equal([8f, 9f, 10f, 11f, 12f, 13f, 14f, 15f], layout.WeightsOf((ReadOnlySpan<float>)parameters, 1).ToArray());
        Assert.Equal([16f, 17f, 18f, 19f], layout.BiasOf((ReadOnlySpan<float>)parameters, 1).ToArray());

        layout.BiasOf(parameters.AsSpan(), 0).Fill(-1f);
        layout.WeightsOf(parameters.AsSpan(), 0)[5] = -2f;
        Assert.Equal([0f, 1f, 2f, 3f, 4f, -2f, -1f, -1f, 8f], parameters[..9]);
    }

    [Fact]
    public void Default_network_has_the_expected_parameter_count()
    {
        // 784·256 + 256 + 256·128 + 128 + 128·10 + 10
        Assert.Equal(235_146, new ParameterLayout(NetworkSpec.Default).Count);
    }

    [Fact]
    public void Out_of_range_layers_and_wrong_lengths_are_rejected()
    {
        var layout = new ParameterLayout(NetworkSpec.Default);
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.Weights(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.Bias(-1));
        Assert.Throws<ArgumentException>(() => layout.WeightsOf(new float[10].AsSpan(), 0));
        Assert.Throws<ArgumentException>(() => layout.BiasOf((ReadOnlySpan<float>)new float[layout.Count + 1], 0));
    }
}
