namespace DistTrain.Core.Tests;

public sealed class NetworkSpecTests
{
    [Fact]
    public void Default_is_the_MNIST_multilayer_perceptron()
    {
        NetworkSpec spec = NetworkSpec.Default;
        Assert.Equal([784, 256, 128, 10], spec.LayerSizes);
        Assert.Equal(ActivationKind.Relu, spec.Activation);
        Assert.Equal(LossKind.CrossEntropy, spec.Loss);
        Assert.Equal(784, spec.InputSize);
        Assert.Equal(10, spec.OutputSize);
        Assert.Equal(3, spec.LayerCount);
        Assert.Equal("784-256-128-10 Relu CrossEntropy", spec.ToString());
    }

    [Theory]
    [InlineData(new int[0], "at least 2")]
    [InlineData(new[] { 784 }, "at least 2")]
    [InlineData(new[] { 784, 0, 10 }, "positive")]
    [InlineData(new[] { 784, 256, -10 }, "positive")]
    [InlineData(new[] { 100_000, 100_000, 10 }, "more than one array")]
    public void Invalid_sizes_are_rejected_with_a_clear_message(int[] sizes, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new NetworkSpec(sizes, ActivationKind.Relu, LossKind.CrossEntropy));
        Assert.Contains(message, error.Message);
        Assert.Equal("LayerSizes", error.ParamName);
    }

    [Fact]
    public void Unknown_kinds_and_null_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new NetworkSpec([2, 2], (ActivationKind)42, LossKind.CrossEntropy));
        Assert.Throws<ArgumentException>(() => new NetworkSpec([2, 2], ActivationKind.Relu, (LossKind)42));
        Assert.Throws<ArgumentNullException>(() => new NetworkSpec(null!, ActivationKind.Relu, LossKind.CrossEntropy));
        Assert.Throws<ArgumentException>(() => NetworkSpec.Default with { LayerSizes = [5] });
        Assert.Throws<ArgumentException>(() => NetworkSpec.Default with { Loss = (LossKind)(-1) });
    }

    [Fact]
    public void Specs_compare_by_value_and_keep_their_own_copy_of_the_sizes()
    {
        var sizes = new List<int> { 784, 256, 128, 10 };
        var spec = new NetworkSpec(sizes, ActivationKind.Relu, LossKind.CrossEntropy);
        sizes[1] = 1;

        Assert.Equal(256, spec.LayerSizes[1]);
        Assert.Equal(NetworkSpec.Default, spec);
        Assert.Equal(NetworkSpec.Default.GetHashCode(), spec.GetHashCode());
        Assert.NotEqual(NetworkSpec.Default, spec with { Activation = ActivationKind.Tanh });
        Assert.NotEqual(NetworkSpec.Default, spec with { LayerSizes = [784, 128, 10] });
    }
}
