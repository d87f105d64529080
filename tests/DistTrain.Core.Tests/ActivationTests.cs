// The float activation kernels against the double reference, element by element, on lengths that
// exercise both the vector body and the scalar remainder.
using DistTrain.Core.Activations;
using DistTrain.Core.Tests.Reference;

namespace DistTrain.Core.Tests;

public sealed class ActivationTests
{
    public static TheoryData<ActivationKind> Kinds() => [.. Enum.GetValues<ActivationKind>()];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Forward_and_backward_agree_with_the_double_reference(ActivationKind kind)
    {
        foreach (int length in new[] { 1, 7, 8, 33, 257 })
        {
            var random = new Random(length);
            // Mostly in [−6, 6], plus the small negatives where eˣ − 1 cancels.
            float[] z = [.. Enumerable.Range(0, length).Select(i => i % 5 == 0
                ? -0.3f * random.NextSingle()
                : 12 * random.NextSingle() - 6)];
            float[] dY = [.. Enumerable.Range(0, length).Select(_ => 2 * random.NextSingle() - 1)];
            var y = new float[length];
            var dZ = new float[length];

            Activation.Forward(kind, z, y);
            Activation.Backward(kind, z, y, dY, dZ);

            for (int i = 0; i < length; i++)
            {
                double expectedY = ReferenceActivation<double>.Value(kind, z[i]);
                double expectedDz = dY[i] * ReferenceActivation<double>.Derivative(kind, z[i]);
                Assert.True(Math.Abs(y[i] - expectedY) <= 4e-7 * Math.Abs(expectedY) + 1e-9,
                    $"{kind} f({z[i]}) = {y[i]}, expected {expectedY}");
                // Derivatives come from the float output y (1 − y², y·(1 − y), y + 1), so where they are
                // tiny they carry y's absolute rounding, a few 1e-8 per unit of dY.
                Assert.True(Math.Abs(dZ[i] - expectedDz) <= 4e-7 * Math.Abs(expectedDz) + 2e-7 * Math.Abs(dY[i]),
                    $"{kind} f'({z[i]})·{dY[i]} = {dZ[i]}, expected {expectedDz}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Forward_keeps_relative_precision_across_the_range(ActivationKind kind)
    {
        // A dense sweep of [−20, 20] plus tiny magnitudes, where tanh and eˣ − 1 are prone to cancellation.
        float[] z = [.. Enumerable.Range(-200_000, 400_001).Select(i => i * 1e-4f)
            .Concat(Enumerable.Range(-30, 61).Select(i => MathF.CopySign(MathF.Pow(2, -Math.Abs(i)), i)))];
        var y = new float[z.Length];
        Activation.Forward(kind, z, y);
        double worst = 0;
        float worstAt = 0;
        for (int i = 0; i < z.Length; i++)
        {
            double expected = ReferenceActivation<double>.Value(kind, z[i]);
            double error = expected == 0 ? Math.Abs(y[i]) : Math.Abs(y[i] - expected) / Math.Abs(expected);
            if (error > worst)
            {
                worst = error;
                worstAt = z[i];
            }
        }
        Assert.True(worst < 3e-7, $"{kind}: relative error {worst:E3} at z = {worstAt}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Backward_may_write_over_its_incoming_gradient(ActivationKind kind)
    {
        float[] z = [.. Enumerable.Range(0, 21).Select(i => (i - 10) * 0.37f)];
        float[] dY = [.. Enumerable.Range(0, 21).Select(i => 1f + i)];
        var y = new float[z.Length];
        var separate = new float[z.Length];
        Activation.Forward(kind, z, y);
        Activation.Backward(kind, z, y, dY, separate);

        Activation.Backward(kind, z, y, dY, dY);
        Assert.Equal(separate, dY);
    }

    [Fact]
    public void Shapes_match_the_lecture_notes()
    {
        float[] z = [-2f, -0.5f, 0f, 0.5f, 2f];
        var y = new float[z.Length];

        Activation.Forward(ActivationKind.Relu, z, y);
        Assert.Equal([0f, 0f, 0f, 0.5f, 2f], y);

        Activation.Forward(ActivationKind.LeakyRelu, z, y);
        Assert.Equal([-0.2f, -0.05f, 0f, 0.5f, 2f], y);

        Activation.Forward(ActivationKind.Elu, z, y);
        Assert.Equal(Math.Exp(-2) - 1, y[0], 1e-7);
        Assert.Equal(Math.Exp(-0.5) - 1, y[1], 1e-7);
        Assert.Equal([0f, 0.5f, 2f], y[2..]);

        Activation.Forward(ActivationKind.Sigmoid, z, y);
        Assert.Equal(0.5f, y[2]);
        Assert.Equal(1 / (1 + Math.Exp(-2)), y[4], 1e-7);

        Activation.Forward(ActivationKind.Tanh, z, y);
        Assert.Equal(0f, y[2]);
        Assert.Equal(Math.Tanh(-0.5), y[1], 1e-7);
    }

    [Fact]
    public void Derivatives_at_zero_follow_the_usual_conventions()
    {
        // 0 for ReLU, the slope for leaky ReLU (as PyTorch), 1 for ELU (continuous there).
        float[] z = [0f];
        float[] y = new float[1];
        float[] dZ = new float[1];
        var expected = new Dictionary<ActivationKind, float>
        {
            [ActivationKind.Relu] = 0f,
            [ActivationKind.LeakyRelu] = 0.1f,
            [ActivationKind.Elu] = 1f,
            [ActivationKind.Sigmoid] = 0.25f,
            [ActivationKind.Tanh] = 1f,
        };
        foreach (var (kind, derivative) in expected)
        {
            Activation.Forward(kind, z, y);
            Activation.Backward(kind, z, y, [1f], dZ);
            Assert.Equal(derivative, dZ[0]);
        }
    }
}
