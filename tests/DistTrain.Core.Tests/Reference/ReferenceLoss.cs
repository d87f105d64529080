// Reference softmax losses of one sample in any IEEE floating type T, written independently of the
// float kernels. Sizes: C = classes; z [C] logits.
// The squared-error gradient goes through an explicitly built softmax Jacobian.
using System.Numerics;
using DistTrain.Core;

namespace DistTrain.Core.Tests.Reference;

internal static class ReferenceLoss<T>
    where T : IFloatingPointIeee754<T>
{
    public static T[] Softmax(ReadOnlySpan<T> z)
    {
        T max = z[0];
        foreach (T value in z)
        {
            max = T.Max(max, value);
        }
        var p = new T[z.Length];
        T sum = T.Zero;
        for (int c = 0; c < z.Length; c++)
        {
            p[c] = T.Exp(z[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < z.Length; c++)
        {
            p[c] /= sum;
        }
        return p;
    }

    public static T Value(LossKind kind, ReadOnlySpan<T> z, int label)
    {
        T[] p = Softmax(z);
        switch (kind)
        {
            case LossKind.CrossEntropy:
                return -T.Log(p[label]);
            case LossKind.MeanSquaredError:
                T sum = T.Zero;
                for (int c = 0; c < p.Length; c++)
                {
                    T error = p[c] - (c == label ? T.One : T.Zero);
                    sum += error * error;
                }
                return sum;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>∂loss/∂z.</summary>
    public static T[] Gradient(LossKind kind, ReadOnlySpan<T> z, int label)
    {
        T[] p = Softmax(z);
        int classes = p.Length;
        var dZ = new T[classes];
        switch (kind)
        {
            case LossKind.CrossEntropy:
                for (int c = 0; c < classes; c++)
                {
                    dZ[c] = p[c] - (c == label ? T.One : T.Zero);
                }
                return dZ;
            case LossKind.MeanSquaredError:
                T two = T.CreateChecked(2);
                for (int k = 0; k < classes; k++)
                {
                    // dZ_k = Σ_c ∂loss/∂p_c · ∂p_c/∂z_k, with ∂p_c/∂z_k = p_c(δ_ck − p_k).
                    for (int c = 0; c < classes; c++)
                    {
                        T dLossDp = two * (p[c] - (c == label ? T.One : T.Zero));
                        T jacobian = p[c] * ((c == k ? T.One : T.Zero) - p[k]);
                        dZ[k] += dLossDp * jacobian;
                    }
                }
                return dZ;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}
