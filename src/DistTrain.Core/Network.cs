// The multilayer perceptron's batched forward and backward passes.
// Sizes: N = samples in a chunk (≤ MaxBatch), D_l = inputs of layer l, H_l = units of layer l.
//   forward:  Z_l = A_{l−1}·W_lᵀ + b_l,  A_l = f(Z_l) (hidden),  logits = Z_last,  loss on softmax(logits)
//   backward: dZ_last from the loss; per layer dW_l = dZ_lᵀ·A_{l−1}, db_l = Σ_rows dZ_l, dA_{l−1} = dZ_l·W_l,
//             dZ_{l−1} = dA_{l−1} ⊙ f′(Z_{l−1})
// A_{−1} is the input X = pixels / 255.
using DistTrain.Core.Activations;
using DistTrain.Core.Layers;
using DistTrain.Core.Losses;

namespace DistTrain.Core;

/// <summary>
/// Computes losses and gradients of a <see cref="NetworkSpec"/> for given parameters. Holds a workspace
/// for up to <see cref="MaxBatch"/> samples; larger counts are processed in chunks of that size.
/// Not thread-safe: use one instance per thread. Its matrix products run on up to <see cref="Threads"/>
/// threads, which never changes a bit of the results.
/// </summary>
public sealed class Network
{
    private readonly Workspace _workspace;

    public Network(NetworkSpec spec, int maxBatch, int threads)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        long widest = spec.LayerSizes.Max();
        if (widest * maxBatch > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "The workspace for this batch size would not fit in an array.");
        }

        Spec = spec;
        Layout = new ParameterLayout(spec);
        MaxBatch = maxBatch;
        Threads = threads;
        _workspace = new Workspace(spec, maxBatch);
    }

    public NetworkSpec Spec { get; }

    public ParameterLayout Layout { get; }

    public int MaxBatch { get; }

    /// <summary>Compute threads of the matrix products.</summary>
    public int Threads { get; }

    /// <summary>
    /// Writes into <paramref name="gradientSum"/> (overwritten; length = Layout.Count) the SUM over the
    /// <paramref name="count"/> samples of each sample's loss gradient, not divided by the count, and
    /// returns the loss sum (added in sample order) and the number classified correctly.
    /// </summary>
    /// <param name="parameters">All parameters, laid out as <see cref="Layout"/> says.</param>
    /// <param name="pixels">count × InputSize bytes, 0..255, sample after sample (extra bytes are ignored).</param>
    /// <param name="labels">count labels, each below OutputSize (extra bytes are ignored).</param>
    public ShardStatistics ComputeGradient(
        ReadOnlySpan<float> parameters, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count, Span<float> gradientSum)
    {
        CheckArguments(parameters, pixels, labels, count);
        Layout.CheckLength(gradientSum.Length, nameof(gradientSum));

        if (count == 0)
        {
            gradientSum.Clear();
            return default;
        }

        var statistics = default(ShardStatistics);
        for (int start = 0; start < count; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, count - start);
            statistics += Forward(parameters, ChunkPixels(pixels, start, n), labels.Slice(start, n), n);
            Backward(parameters, n, gradientSum, accumulate: start > 0);
        }
        return statistics;
    }

    /// <summary>Loss sum and correct count, bit-identical to what <see cref="ComputeGradient"/> reports for the same inputs.</summary>
    public ShardStatistics Evaluate(ReadOnlySpan<float> parameters, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count)
    {
        CheckArguments(parameters, pixels, labels, count);

        var statistics = default(ShardStatistics);
        for (int start = 0; start < count; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, count - start);
            statistics += Forward(parameters, ChunkPixels(pixels, start, n), labels.Slice(start, n), n);
        }
        return statistics;
    }

    /// <summary>Forward pass of n samples through every layer and the loss; leaves dZ of the last layer in its delta buffer.</summary>
    private ShardStatistics Forward(ReadOnlySpan<float> parameters, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int n)
    {
        Span<float> x = _workspace.Input.AsSpan(0, n * Spec.InputSize);
        PixelInput.Scale(pixels, x);

        int last = Layout.LayerCount - 1;
        ReadOnlySpan<float> input = x;
        for (int layer = 0; layer <= last; layer++)
        {
            var (_, units, inputs) = Layout.Weights(layer);
            Span<float> z = _workspace.PreActivations[layer].AsSpan(0, n * units);
            Dense.Forward(input, Layout.WeightsOf(parameters, layer), Layout.BiasOf(parameters, layer), n, inputs, units, z, Threads);
            if (layer < last)
            {
                Span<float> a = _workspace.Activations[layer].AsSpan(0, n * units);
                Activation.Forward(Spec.Activation, z, a);
                input = a;
            }
        }

        int classes = Spec.OutputSize;
        return Loss.Evaluate(
            Spec.Loss, _workspace.PreActivations[last].AsSpan(0, n * classes), labels, n, classes,
            _workspace.Deltas[last].AsSpan(0, n * classes));
    }

    /// <summary>Backward pass of the n samples the last <see cref="Forward"/> saw.</summary>
    private void Backward(ReadOnlySpan<float> parameters, int n, Span<float> gradient, bool accumulate)
    {
        for (int layer = Layout.LayerCount - 1; layer >= 0; layer--)
        {
            var (_, units, inputs) = Layout.Weights(layer);
            ReadOnlySpan<float> dZ = _workspace.Deltas[layer].AsSpan(0, n * units);
            ReadOnlySpan<float> input = layer == 0
                ? _workspace.Input.AsSpan(0, n * inputs)
                : _workspace.Activations[layer - 1].AsSpan(0, n * inputs);
            // The first layer's input is data: no gradient needed.
            Span<float> dInput = layer == 0 ? [] : _workspace.Deltas[layer - 1].AsSpan(0, n * inputs);

            Dense.Backward(
                input, Layout.WeightsOf(parameters, layer), dZ, n, inputs, units,
                Layout.WeightsOf(gradient, layer), Layout.BiasOf(gradient, layer), dInput, accumulate, Threads);

            if (layer > 0)
            {
                Activation.Backward(
                    Spec.Activation, _workspace.PreActivations[layer - 1].AsSpan(0, n * inputs),
                    _workspace.Activations[layer - 1].AsSpan(0, n * inputs), dInput, dInput);
            }
        }
    }

    private ReadOnlySpan<byte> ChunkPixels(ReadOnlySpan<byte> pixels, int start, int n) =>
        pixels.Slice(start * Spec.InputSize, n * Spec.InputSize);

    private void CheckArguments(ReadOnlySpan<float> parameters, ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count)
    {
        Layout.CheckLength(parameters.Length, nameof(parameters));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (pixels.Length / Spec.InputSize < count)
        {
            throw new ArgumentException(
                $"{count} samples need {(long)count * Spec.InputSize} pixel bytes, got {pixels.Length}.", nameof(pixels));
        }
        if (labels.Length < count)
        {
            throw new ArgumentException($"{count} samples need {count} labels, got {labels.Length}.", nameof(labels));
        }
    }
}
