// Dispatch from ActivationKind to the elementwise kernels.
// z: pre-activation, y: activation output, dY: gradient w.r.t. y, dZ: gradient w.r.t. z; all the same length.
namespace DistTrain.Core.Activations;

internal static class Activation
{
    /// <summary>y = f(z); y must not overlap z.</summary>
    public static void Forward(ActivationKind kind, ReadOnlySpan<float> z, Span<float> y)
    {
        switch (kind)
        {
            case ActivationKind.Relu: Relu.Forward(z, y); break;
            case ActivationKind.LeakyRelu: LeakyRelu.Forward(z, y); break;
            case ActivationKind.Elu: Elu.Forward(z, y); break;
            case ActivationKind.Sigmoid: Sigmoid.Forward(z, y); break;
            case ActivationKind.Tanh: Tanh.Forward(z, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>dZ = dY ⊙ f′(z), from the saved z and y; dZ may be the same span as dY.</summary>
    public static void Backward(ActivationKind kind, ReadOnlySpan<float> z, ReadOnlySpan<float> y, ReadOnlySpan<float> dY, Span<float> dZ)
    {
        switch (kind)
        {
            case ActivationKind.Relu: Relu.Backward(z, dY, dZ); break;
            case ActivationKind.LeakyRelu: LeakyRelu.Backward(z, dY, dZ); break;
            case ActivationKind.Elu: Elu.Backward(z, y, dY, dZ); break;
            case ActivationKind.Sigmoid: Sigmoid.Backward(y, dY, dZ); break;
            case ActivationKind.Tanh: Tanh.Backward(y, dY, dZ); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }
}
