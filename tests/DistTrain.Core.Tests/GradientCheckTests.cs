// Finite-difference checks of the double-precision reference: every activation, both losses, dense
// layers at every position and weight decay. The float production code is then held to this reference
// (NetworkGradientTests, ActivationTests, LossTests, DenseTests, WeightDecayTests).
using DistTrain.Core.Tests.Reference;
using static DistTrain.Core.Tests.Reference.GradientComparison;

namespace DistTrain.Core.Tests;

public sealed class GradientCheckTests
{
    private const double Tolerance = 1e-6;

    public static TheoryData<ActivationKind, LossKind> AllCombinations()
    {
        var data = new TheoryData<ActivationKind, LossKind>();
        foreach (ActivationKind activation in Enum.GetValues<ActivationKind>())
        {
            foreach (LossKind loss in Enum.GetValues<LossKind>())
            {
                data.Add(activation, loss);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCombinations))]
    public void Whole_network_objective_with_weight_decay_matches_finite_differences(ActivationKind activation, LossKind loss)
    {
        // Three dense layers: the input layer, a hidden-to-hidden layer and the output layer.
        var spec = new NetworkSpec([7, 6, 5, 4], activation, loss);
        AssertObjectiveGradient(spec, count: 5, lambda: 0.03, seed: 11);
    }

    [Theory]
    [InlineData(LossKind.CrossEntropy)]
    [InlineData(LossKind.MeanSquaredError)]
    public void Single_dense_layer_matches_finite_differences(LossKind loss)
    {
        var spec = new NetworkSpec([9, 4], ActivationKind.Relu, loss);
        AssertObjectiveGradient(spec, count: 6, lambda: 0, seed: 12);
    }

    [Theory]
    [InlineData(ActivationKind.Relu)]
    [InlineData(ActivationKind.LeakyRelu)]
    [InlineData(ActivationKind.Elu)]
    [InlineData(ActivationKind.Sigmoid)]
    [InlineData(ActivationKind.Tanh)]
    public void Activation_derivative_matches_finite_differences(ActivationKind kind)
    {
        // Points on both sides of 0 but away from the kinks of ReLU and leaky ReLU.
        double[] points = [.. Enumerable.Range(-20, 41).Select(i => i * 0.23 + 0.011)];
        foreach (double z in points)
        {
            double analytic = ReferenceActivation<double>.Derivative(kind, z);
            double numeric = CentralDifferences([z], t => ReferenceActivation<double>.Value(kind, t[0]))[0];
            Assert.True(MaxRelativeError([analytic], [numeric]) < Tolerance, $"{kind} at {z}: {analytic} vs {numeric}");
        }
    }

    [Theory]
    [InlineData(LossKind.CrossEntropy)]
    [InlineData(LossKind.MeanSquaredError)]
    public void Loss_gradient_with_respect_to_logits_matches_finite_differences(LossKind kind)
    {
        var random = new Random(13);
        for (int trial = 0; trial < 20; trial++)
        {
            double[] z = [.. Enumerable.Range(0, 10).Select(_ => 6 * random.NextDouble() - 3)];
            int label = random.Next(10);
            double[] analytic = ReferenceLoss<double>.Gradient(kind, z, label);
            double[] numeric = CentralDifferences(z, t => ReferenceLoss<double>.Value(kind, t, label));
            Assert.True(MaxRelativeError(analytic, numeric) < Tolerance, $"{kind} trial {trial}: {MaxRelativeError(analytic, numeric)}");
        }
    }

    [Fact]
    public void Weight_decay_gradient_matches_finite_differences_and_skips_biases()
    {
        var spec = new NetworkSpec([5, 4, 3], ActivationKind.Relu, LossKind.CrossEntropy);
        var reference = new ReferenceMlp<double>(spec);
        double[] theta = SampleData.Widen(SampleData.Parameters(spec, 14));
        const double lambda = 0.7;

        double[] analytic = reference.PenaltyGradient(theta, lambda);
        double[] numeric = CentralDifferences(theta, t => reference.Penalty(t, lambda));
        Assert.True(MaxRelativeError(analytic, numeric) < Tolerance);

        var layout = new ParameterLayout(spec);
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            var (offset, length) = layout.Bias(layer);
            Assert.All(analytic.AsSpan(offset, length).ToArray(), g => Assert.Equal(0, g));
            Assert.All(numeric.AsSpan(offset, length).ToArray(), g => Assert.Equal(0, g));
        }
    }

    private static void AssertObjectiveGradient(NetworkSpec spec, int count, double lambda, int seed)
    {
        var reference = new ReferenceMlp<double>(spec);
        double[] theta = SampleData.Widen(SampleData.Parameters(spec, seed));
        byte[] pixels = SampleData.Pixels(spec, count, seed + 1);
        byte[] labels = SampleData.Labels(spec, count, seed + 2);

        double[] analytic = reference.ObjectiveGradient(theta, pixels, labels, count, lambda);
        double[] numeric = CentralDifferences(theta, t => reference.Objective(t, pixels, labels, count, lambda));

        double error = MaxRelativeError(analytic, numeric);
        Assert.True(error < Tolerance, $"{spec}: max relative error {error:E3}");
        Assert.True(analytic.Count(g => g != 0) > analytic.Length / 2, "Most of the gradient should be nonzero for the check to mean something.");
    }
}
