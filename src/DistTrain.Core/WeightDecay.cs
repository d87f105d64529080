// L2 weight decay on the weights only (biases are not decayed).
//   penalty  = (λ/2)·Σ_l Σ W_l²
//   gradient = λ·W_l, added once to the averaged mini-batch gradient
using System.Numerics.Tensors;

namespace DistTrain.Core;

public static class WeightDecay
{
    /// <summary>gradient += λ·W for every layer's weights; bias entries are left alone.</summary>
    public static void AddGradient(ParameterLayout layout, ReadOnlySpan<float> parameters, Span<float> gradient, float lambda)
    {
        ArgumentNullException.ThrowIfNull(layout);
        layout.CheckLength(gradient.Length, nameof(gradient));
        if (lambda == 0)
        {
            return;
        }

        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            Span<float> g = layout.WeightsOf(gradient, layer);
            TensorPrimitives.MultiplyAdd(layout.WeightsOf(parameters, layer), lambda, g, g);
        }
    }

    /// <summary>(λ/2)·Σ W² over all weights, summed in double in parameter order.</summary>
    public static double Penalty(ParameterLayout layout, ReadOnlySpan<float> parameters, float lambda)
    {
        ArgumentNullException.ThrowIfNull(layout);
        double sum = 0;
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            foreach (float w in layout.WeightsOf(parameters, layer))
            {
                sum += (double)w * w;
            }
        }
        return 0.5 * lambda * sum;
    }
}
