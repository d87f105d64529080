// Reference multilayer perceptron in any IEEE floating type T: one sample at a time, plain loops,
// its own parameter offsets (W_l [H × D] row-major then b_l [H], layer after layer).
// Sizes: D = inputs of a layer, H = units of a layer, N = samples.
//   objective J = (1/N)·Σ_samples loss + (λ/2)·Σ W²
using System.Numerics;
using DistTrain.Core;

namespace DistTrain.Core.Tests.Reference;

internal sealed class ReferenceMlp<T>(NetworkSpec spec)
    where T : IFloatingPointIeee754<T>
{
    private readonly int[] _sizes = [.. spec.LayerSizes];

    private int Layers => _sizes.Length - 1;

    public static T[] Inputs(ReadOnlySpan<byte> pixels) => [.. pixels.ToArray().Select(b => T.CreateChecked(b) / T.CreateChecked(255))];

    public T LossSum(ReadOnlySpan<T> parameters, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count)
    {
        T sum = T.Zero;
        for (int s = 0; s < count; s++)
        {
            T[][] activations = Forward(parameters, Sample(pixels, s), out _);
            sum += ReferenceLoss<T>.Value(spec.Loss, activations[^1], labels[s]);
        }
        return sum;
    }

    public int Correct(ReadOnlySpan<T> parameters, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count)
    {
        int correct = 0;
        for (int s = 0; s < count; s++)
        {
            T[] logits = Forward(parameters, Sample(pixels, s), out _)[^1];
            int best = 0;
            for (int c = 1; c < logits.Length; c++)
            {
                if (logits[c] > logits[best])
                {
                    best = c;
                }
            }
            correct += best == labels[s] ? 1 : 0;
        }
        return correct;
    }

    /// <summary>Σ over samples of ∂loss/∂θ (no weight decay), by backpropagation one sample at a time.</summary>
    public T[] GradientSum(ReadOnlySpan<T> parameters, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count)
    {
        var gradient = new T[parameters.Length];
        for (int s = 0; s < count; s++)
        {
            T[] x = Sample(pixels, s);
            T[][] activations = Forward(parameters, x, out T[][] preActivations);
            T[] delta = ReferenceLoss<T>.Gradient(spec.Loss, activations[^1], labels[s]);
            for (int layer = Layers - 1; layer >= 0; layer--)
            {
                int inputs = _sizes[layer];
                int units = _sizes[layer + 1];
                int w = WeightOffset(layer);
                int b = w + units * inputs;
                T[] input = layer == 0 ? x : activations[layer - 1];
                for (int j = 0; j < units; j++)
                {
                    for (int i = 0; i < inputs; i++)
                    {
                        gradient[w + j * inputs + i] += delta[j] * input[i];
                    }
                    gradient[b + j] += delta[j];
                }
                if (layer == 0)
                {
                    break;
                }
                var previous = new T[inputs];
                for (int i = 0; i < inputs; i++)
                {
                    T sum = T.Zero;
                    for (int j = 0; j < units; j++)
                    {
                        sum += delta[j] * parameters[w + j * inputs + i];
                    }
                    previous[i] = sum * ReferenceActivation<T>.Derivative(spec.Activation, preActivations[layer - 1][i]);
                }
                delta = previous;
            }
        }
        return gradient;
    }

    public T Penalty(ReadOnlySpan<T> parameters, T lambda)
    {
        T sum = T.Zero;
        for (int layer = 0; layer < Layers; layer++)
        {
            int w = WeightOffset(layer);
            for (int i = 0; i < _sizes[layer] * _sizes[layer + 1]; i++)
            {
                sum += parameters[w + i] * parameters[w + i];
            }
        }
        return lambda / T.CreateChecked(2) * sum;
    }

    public T[] PenaltyGradient(ReadOnlySpan<T> parameters, T lambda)
    {
        var gradient = new T[parameters.Length];
        for (int layer = 0; layer < Layers; layer++)
        {
            int w = WeightOffset(layer);
            for (int i = 0; i < _sizes[layer] * _sizes[layer + 1]; i++)
            {
                gradient[w + i] = lambda * parameters[w + i];
            }
        }
        return gradient;
    }

    /// <summary>J = mean loss + (λ/2)·Σ W².</summary>
    public T Objective(ReadOnlySpan<T> parameters, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count, T lambda) =>
        LossSum(parameters, pixels, labels, count) / T.CreateChecked(count) + Penalty(parameters, lambda);

    /// <summary>∂J/∂θ: the averaged gradient plus λ·W once.</summary>
    public T[] ObjectiveGradient(ReadOnlySpan<T> parameters, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count, T lambda)
    {
        T[] gradient = GradientSum(parameters, pixels, labels, count);
        T[] decay = PenaltyGradient(parameters, lambda);
        for (int i = 0; i < gradient.Length; i++)
        {
            gradient[i] = gradient[i] / T.CreateChecked(count) + decay[i];
        }
        return gradient;
    }

    public int ParameterCount => WeightOffset(Layers);

    private int WeightOffset(int layer)
    {
        int offset = 0;
        for (int l = 0; l < layer; l++)
        {
            offset += (_sizes[l] + 1) * _sizes[l + 1];
        }
        return offset;
    }

    private T[] Sample(ReadOnlySpan<byte> pixels, int sample) => Inputs(pixels.Slice(sample * _sizes[0], _sizes[0]));

    /// <summary>Activations of every layer (the last entry holds the logits) and the hidden pre-activations.</summary>
    private T[][] Forward(ReadOnlySpan<T> parameters, T[] x, out T[][] preActivations)
    {
        var activations = new T[Layers][];
        preActivations = new T[Layers][];
        T[] input = x;
        for (int layer = 0; layer < Layers; layer++)
        {
            int inputs = _sizes[layer];
            int units = _sizes[layer + 1];
            int w = WeightOffset(layer);
            int b = w + units * inputs;
            var z = new T[units];
            for (int j = 0; j < units; j++)
            {
                T sum = parameters[b + j];
                for (int i = 0; i < inputs; i++)
                {
                    sum += parameters[w + j * inputs + i] * input[i];
                }
                z[j] = sum;
            }
            preActivations[layer] = z;
            activations[layer] = layer == Layers - 1
                ? z
                : [.. z.Select(value => ReferenceActivation<T>.Value(spec.Activation, value))];
            input = activations[layer];
        }
        return activations;
    }
}
