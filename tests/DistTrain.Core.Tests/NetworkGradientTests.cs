// The production float Network against the double reference (itself finite-difference checked in
// GradientCheckTests), plus the properties the trainer relies on: sharding, chunking, determinism.
using DistTrain.Core.Tests.Reference;
using static DistTrain.Core.Tests.Reference.GradientComparison;

namespace DistTrain.Core.Tests;

public sealed class NetworkGradientTests
{
    // Float arithmetic against double: relative to the gradient's own scale.
    private const double FloatTolerance = 1e-5;

    [Theory]
    [MemberData(nameof(GradientCheckTests.AllCombinations), MemberType = typeof(GradientCheckTests))]
    public void Float_gradient_sum_agrees_with_the_double_reference_on_odd_sizes(ActivationKind activation, LossKind loss)
    {
        // Widths that are not multiples of any vector width exercise the remainder loops.
        AssertAgreesWithReference(new NetworkSpec([37, 19, 13, 7], activation, loss), count: 11, seed: 21);
    }

    [Theory]
    [MemberData(nameof(GradientCheckTests.AllCombinations), MemberType = typeof(GradientCheckTests))]
    public void Float_gradient_sum_agrees_with_the_double_reference_on_the_default_shape(ActivationKind activation, LossKind loss)
    {
        AssertAgreesWithReference(NetworkSpec.Default with { Activation = activation, Loss = loss }, count: 6, seed: 22);
    }

    [Theory]
    [InlineData(ActivationKind.Relu, LossKind.CrossEntropy)]
    [InlineData(ActivationKind.Tanh, LossKind.MeanSquaredError)]
    public void Averaged_gradient_plus_weight_decay_agrees_with_the_reference_objective_gradient(ActivationKind activation, LossKind loss)
    {
        // The trainer's recipe: Σ gradients → ÷ N → + λ·W once.
        var spec = new NetworkSpec([29, 17, 5], activation, loss);
        const int count = 9;
        const float lambda = 0.05f;
        var network = new Network(spec, count, threads: 2);
        float[] parameters = SampleData.Parameters(spec, 23);
        byte[] pixels = SampleData.Pixels(spec, count, 24);
        byte[] labels = SampleData.Labels(spec, count, 25);
        var gradient = new float[network.Layout.Count];

        ShardStatistics statistics = network.ComputeGradient(parameters, pixels, labels, count, gradient);
        GradientMath.Scale(gradient, 1f / count);
        WeightDecay.AddGradient(network.Layout, parameters, gradient, lambda);
        double objective = statistics.LossSum / count + WeightDecay.Penalty(network.Layout, parameters, lambda);

        var reference = new ReferenceMlp<double>(spec);
        double[] theta = SampleData.Widen(parameters);
        double[] expected = reference.ObjectiveGradient(theta, pixels, labels, count, lambda);
        Assert.True(MaxErrorOverScale(SampleData.Widen(gradient), expected) < FloatTolerance);
        double expectedObjective = reference.Objective(theta, pixels, labels, count, lambda);
        Assert.Equal(expectedObjective, objective, expectedObjective * 1e-5);
    }

    [Theory]
    [MemberData(nameof(GradientCheckTests.AllCombinations), MemberType = typeof(GradientCheckTests))]
    public void Gradient_of_a_batch_equals_the_sum_over_contiguous_shards(ActivationKind activation, LossKind loss)
    {
        var spec = NetworkSpec.Default with { Activation = activation, Loss = loss };
        var network = new Network(spec, maxBatch: 12, threads: 2);
        float[] parameters = SampleData.Parameters(spec, 31);
        byte[] pixels = SampleData.Pixels(spec, 12, 32);
        byte[] labels = SampleData.Labels(spec, 12, 33);

        var whole = new float[network.Layout.Count];
        ShardStatistics wholeStatistics = network.ComputeGradient(parameters, pixels, labels, 12, whole);

        var summed = new float[network.Layout.Count];
        var shard = new float[network.Layout.Count];
        var shardStatistics = default(ShardStatistics);
        for (int start = 0; start < 12; start += 4)
        {
            shardStatistics += network.ComputeGradient(
                parameters, pixels.AsSpan(start * spec.InputSize, 4 * spec.InputSize), labels.AsSpan(start, 4), 4, shard);
            GradientMath.Add(shard, summed);
        }

        AssertClose(whole, summed, 1e-5);
        Assert.Equal(wholeStatistics.LossSum, shardStatistics.LossSum, wholeStatistics.LossSum * 1e-6);
        Assert.Equal(wholeStatistics.Correct, shardStatistics.Correct);
        Assert.Equal(12, shardStatistics.Count);
    }

    [Fact]
    public void Counts_beyond_the_workspace_are_processed_in_chunks()
    {
        var spec = new NetworkSpec([50, 20, 10], ActivationKind.Elu, LossKind.CrossEntropy);
        float[] parameters = SampleData.Parameters(spec, 41);
        byte[] pixels = SampleData.Pixels(spec, 23, 42);
        byte[] labels = SampleData.Labels(spec, 23, 43);

        var big = new Network(spec, maxBatch: 23, threads: 2);
        var small = new Network(spec, maxBatch: 5, threads: 2);
        var expected = new float[big.Layout.Count];
        var actual = new float[big.Layout.Count];
        ShardStatistics expectedStatistics = big.ComputeGradient(parameters, pixels, labels, 23, expected);
        ShardStatistics actualStatistics = small.ComputeGradient(parameters, pixels, labels, 23, actual);

        AssertClose(expected, actual, 1e-5);
        Assert.Equal(expectedStatistics.LossSum, actualStatistics.LossSum, expectedStatistics.LossSum * 1e-6);
        Assert.Equal(expectedStatistics.Correct, actualStatistics.Correct);
        Assert.Equal(23, actualStatistics.Count);
        Assert.Equal(actualStatistics, small.Evaluate(parameters, pixels, labels, 23));
    }

    [Theory]
    [MemberData(nameof(GradientCheckTests.AllCombinations), MemberType = typeof(GradientCheckTests))]
    public void Evaluate_reports_exactly_what_ComputeGradient_reports(ActivationKind activation, LossKind loss)
    {
        var spec = new NetworkSpec([64, 32, 10], activation, loss);
        var network = new Network(spec, maxBatch: 16, threads: 2);
        float[] parameters = SampleData.Parameters(spec, 51);
        byte[] pixels = SampleData.Pixels(spec, 40, 52);
        byte[] labels = SampleData.Labels(spec, 40, 53);
        var gradient = new float[network.Layout.Count];

        ShardStatistics trained = network.ComputeGradient(parameters, pixels, labels, 40, gradient);
        ShardStatistics evaluated = network.Evaluate(parameters, pixels, labels, 40);

        Assert.Equal(trained, evaluated);
        Assert.Equal(40, evaluated.Count);
        Assert.InRange(evaluated.Correct, 0, 40);
        Assert.True(evaluated.LossSum > 0);
    }

    [Fact]
    public void Results_are_bit_identical_across_calls_instances_and_thread_counts()
    {
        var spec = NetworkSpec.Default;
        float[] parameters = SampleData.Parameters(spec, 61);
        byte[] pixels = SampleData.Pixels(spec, 32, 62);
        byte[] labels = SampleData.Labels(spec, 32, 63);

        var results = new List<(float[] Gradient, ShardStatistics Statistics)>();
        foreach (int threads in new[] { 1, 2, 1 })
        {
            var network = new Network(spec, 32, threads);
            var gradient = new float[network.Layout.Count];
            ShardStatistics statistics = network.ComputeGradient(parameters, pixels, labels, 32, gradient);
            results.Add((gradient, statistics));
        }
        foreach (var (gradient, statistics) in results.Skip(1))
        {
            Assert.Equal(results[0].Statistics, statistics);
            Assert.True(results[0].Gradient.AsSpan().SequenceEqual(gradient));
        }
    }

    [Fact]
    public void Gradient_buffer_is_overwritten_not_added_to()
    {
        var spec = new NetworkSpec([20, 8, 4], ActivationKind.Relu, LossKind.CrossEntropy);
        var network = new Network(spec, 6, threads: 2);
        float[] parameters = SampleData.Parameters(spec, 71);
        byte[] pixels = SampleData.Pixels(spec, 6, 72);
        byte[] labels = SampleData.Labels(spec, 6, 73);

        var clean = new float[network.Layout.Count];
        network.ComputeGradient(parameters, pixels, labels, 6, clean);
        float[] dirty = [.. Enumerable.Repeat(123f, network.Layout.Count)];
        network.ComputeGradient(parameters, pixels, labels, 6, dirty);
        Assert.Equal(clean, dirty);

        Assert.Equal(default, network.ComputeGradient(parameters, pixels, labels, 0, dirty));
        Assert.All(dirty, g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Huge_logits_give_finite_losses_and_gradients()
    {
        // Weights ×1000 push the logits to the thousands, where a naive softmax overflows.
        var spec = new NetworkSpec([30, 12, 6], ActivationKind.Relu, LossKind.CrossEntropy);
        var network = new Network(spec, 8, threads: 2);
        float[] parameters = SampleData.Parameters(spec, 81);
        GradientMath.Scale(parameters, 1000f);
        byte[] pixels = SampleData.Pixels(spec, 8, 82);
        byte[] labels = SampleData.Labels(spec, 8, 83);
        var gradient = new float[network.Layout.Count];

        foreach (LossKind loss in Enum.GetValues<LossKind>())
        {
            var lossNetwork = new Network(spec with { Loss = loss }, 8, threads: 2);
            ShardStatistics statistics = lossNetwork.ComputeGradient(parameters, pixels, labels, 8, gradient);
            Assert.True(double.IsFinite(statistics.LossSum), $"{loss}: loss {statistics.LossSum}");
            Assert.True(GradientMath.AllFinite(gradient), $"{loss}: gradient not finite");
        }
    }

    [Fact]
    public void Arguments_are_checked()
    {
        var spec = new NetworkSpec([4, 3, 2], ActivationKind.Relu, LossKind.CrossEntropy);
        var network = new Network(spec, 2, threads: 2);
        var parameters = new float[network.Layout.Count];
        var gradient = new float[network.Layout.Count];
        var pixels = new byte[8];
        var labels = new byte[2];

        Assert.Throws<ArgumentException>(() => network.ComputeGradient(new float[3], pixels, labels, 2, gradient));
        Assert.Throws<ArgumentException>(() => network.ComputeGradient(parameters, pixels, labels, 2, new float[3]));
        Assert.Throws<ArgumentException>(() => network.ComputeGradient(parameters, new byte[7], labels, 2, gradient));
        Assert.Throws<ArgumentException>(() => network.Evaluate(parameters, pixels, new byte[1], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Evaluate(parameters, pixels, labels, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Evaluate(parameters, pixels, [0, 2], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Network(spec, 0, threads: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Network(spec, 2, threads: 0));
    }

    private static void AssertClose(float[] expected, float[] actual, double relative)
    {
        double error = MaxErrorOverScale(SampleData.Widen(actual), SampleData.Widen(expected));
        Assert.True(error < relative, $"max error over scale {error:E3}");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Abs(expected[i]) + 1e-7,
                $"element {i}: {expected[i]} vs {actual[i]}");
        }
    }

    private static void AssertAgreesWithReference(NetworkSpec spec, int count, int seed)
    {
        var network = new Network(spec, maxBatch: count, threads: 2);
        float[] parameters = SampleData.Parameters(spec, seed);
        byte[] pixels = SampleData.Pixels(spec, count, seed + 1);
        byte[] labels = SampleData.Labels(spec, count, seed + 2);
        var gradient = new float[network.Layout.Count];

        ShardStatistics statistics = network.ComputeGradient(parameters, pixels, labels, count, gradient);

        var reference = new ReferenceMlp<double>(spec);
        double[] theta = SampleData.Widen(parameters);
        double[] expected = reference.GradientSum(theta, pixels, labels, count);
        double[] actual = SampleData.Widen(gradient);

        double scaleError = MaxErrorOverScale(actual, expected);
        double normError = NormRelativeError(actual, expected);
        Assert.True(scaleError < FloatTolerance, $"{spec}: max error over scale {scaleError:E3}, norm {normError:E3}");
        Assert.True(normError < FloatTolerance, $"{spec}: norm relative error {normError:E3}");

        double expectedLoss = reference.LossSum(theta, pixels, labels, count);
        Assert.Equal(expectedLoss, statistics.LossSum, expectedLoss * 1e-5);
        Assert.Equal(reference.Correct(theta, pixels, labels, count), statistics.Correct);
        Assert.Equal(count, statistics.Count);
    }
}
