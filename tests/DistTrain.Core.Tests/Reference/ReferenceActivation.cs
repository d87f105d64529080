// Double-checkable reference of the hidden activations, written independently of the float kernels.
// f(z) and f′(z) per element, in any IEEE floating type T.
using System.Numerics;
using DistTrain.Core;

namespace DistTrain.Core.Tests.Reference;

internal static class ReferenceActivation<T>
    where T : IFloatingPointIeee754<T>
{
    private static readonly T LeakySlope = T.CreateChecked(0.1);

    public static T Value(ActivationKind kind, T z) => kind switch
    {
        ActivationKind.Relu => T.Max(T.Zero, z),
        ActivationKind.LeakyRelu => T.Max(LeakySlope * z, z),
        ActivationKind.Elu => z > T.Zero ? z : T.Exp(z) - T.One,
        ActivationKind.Sigmoid => T.One / (T.One + T.Exp(-z)),
        ActivationKind.Tanh => T.Tanh(z),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static T Derivative(ActivationKind kind, T z) => kind switch
    {
        ActivationKind.Relu => z > T.Zero ? T.One : T.Zero,
        ActivationKind.LeakyRelu => z > T.Zero ? T.One : LeakySlope,
        ActivationKind.Elu => z > T.Zero ? T.One : T.Exp(z),
        ActivationKind.Sigmoid => Value(kind, z) * (T.One - Value(kind, z)),
        ActivationKind.Tanh => T.One - Value(kind, z) * Value(kind, z),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
