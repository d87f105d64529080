// L2 weight decay on the weights only (biases are not decayed).
//   penalty  = (λ/2)·Σ_l Σ W_l²
//   gradient = λ·W_l, added once to the averaged mini-batch gradient
// Sizes: per layer l, W_l [H × D] (H = units, D = inputs); parameters and gradient are the flat buffers of ParameterLayout.
using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core;

public static class WeightDecay
{
    /// <summary>gradient += λ·W for every layer's weights; bias entries are left alone.</summary>
    public static void AddGradient(ParameterLayout layout, ReadOnlySpan<float> parameters, Span<float> gradient, float lambda)
    {
        ArgumentNullException.ThrowIfNull(layout);
        AddGradient(layout, parameters, gradient, lambda, 0, layout.Count);
    }

    /// <summary>
    /// The same for the entries at [<paramref name="start"/>, start + <paramref name="length"/>)
    /// only: elementwise, so covering the vector block by block gives the bits of one call.
    /// </summary>
    public static void AddGradient(ParameterLayout layout, ReadOnlySpan<float> parameters, Span<float> gradient, float lambda, int start, int length)
    {
        ArgumentNullException.ThrowIfNull(layout);
        layout.CheckLength(parameters.Length, nameof(parameters));
        layout.CheckLength(gradient.Length, nameof(gradient));
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, layout.Count - start);
        AddGradientWindow(layout, parameters.Slice(start, length), gradient.Slice(start, length), lambda, start);
    }

    /// <summary>
    /// The same for a window of the vector: <paramref name="parameters"/> and <paramref name="gradient"/>
    /// hold the entries [<paramref name="start"/>, start + length) only (a slice owned by one process).
    /// </summary>
    public static void AddGradientWindow(ParameterLayout layout, ReadOnlySpan<float> parameters, Span<float> gradient, float lambda, int start)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        if (parameters.Length != gradient.Length || parameters.Length > layout.Count - start)
        {
            throw new ArgumentException($"A window at {start} of {parameters.Length} parameters and {gradient.Length} gradient values does not fit the network's {layout.Count} parameters.");
        }
        if (lambda == 0)
        {
            return;
        }

        var end = start + parameters.Length;
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            var (offset, rows, columns) = layout.Weights(layer);
            var from = Math.Max(offset, start);
            var to = Math.Min(offset + rows * columns, end);
            if (from < to)
            {
                Span<float> g = gradient[(from - start)..(to - start)];
                TensorPrimitives.MultiplyAdd(parameters[(from - start)..(to - start)], lambda, g, g);
            }
        }
    }

    /// <summary>(λ/2)·Σ W² over all weights, squares summed in double (fixed order for a given vector width).</summary>
    public static double Penalty(ParameterLayout layout, ReadOnlySpan<float> parameters, float lambda)
    {
        ArgumentNullException.ThrowIfNull(layout);
        double sum = 0;
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            sum += SumOfSquares(layout.WeightsOf(parameters, layer));
        }
        return 0.5 * lambda * sum;
    }

    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        // Two double accumulators per float vector: independent chains, no float rounding of the squares.
        var low = Vector<double>.Zero;
        var high = Vector<double>.Zero;
        int i = 0;
        for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            Vector.Widen(new Vector<float>(values[i..]), out Vector<double> a, out Vector<double> b);
            low += a * a;
            high += b * b;
        }
        double sum = Vector.Sum(low + high);
        for (; i < values.Length; i++)
        {
            sum += (double)values[i] * values[i];
        }
        return sum;
    }
}
