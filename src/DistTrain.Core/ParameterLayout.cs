namespace DistTrain.Core;

/// <summary>
/// Where each layer's parameters live in the one flat float[] that holds them all.
/// Per layer l, in order: weights W_l [out × in] row-major, then bias b_l [out].
/// </summary>
public sealed class ParameterLayout
{
    private readonly int[] _weightOffsets;
    private readonly int[] _inputs;
    private readonly int[] _outputs;

    public ParameterLayout(NetworkSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        LayerCount = spec.LayerCount;
        _weightOffsets = new int[LayerCount];
        _inputs = new int[LayerCount];
        _outputs = new int[LayerCount];

        int offset = 0;
        for (int layer = 0; layer < LayerCount; layer++)
        {
            _inputs[layer] = spec.LayerSizes[layer];
            _outputs[layer] = spec.LayerSizes[layer + 1];
            _weightOffsets[layer] = offset;
            offset += (_inputs[layer] + 1) * _outputs[layer];
        }
        Count = offset;
    }

    /// <summary>Total number of floats.</summary>
    public int Count { get; }

    /// <summary>Number of weight layers.</summary>
    public int LayerCount { get; }

    /// <summary>Weights of <paramref name="layer"/>: [Rows = out × Columns = in] starting at Offset.</summary>
    public (int Offset, int Rows, int Columns) Weights(int layer)
    {
        CheckLayer(layer);
        return (_weightOffsets[layer], _outputs[layer], _inputs[layer]);
    }

    /// <summary>Bias of <paramref name="layer"/>: [Length = out] right after its weights.</summary>
    public (int Offset, int Length) Bias(int layer)
    {
        CheckLayer(layer);
        return (_weightOffsets[layer] + _outputs[layer] * _inputs[layer], _outputs[layer]);
    }

    public Span<float> WeightsOf(Span<float> parameters, int layer)
    {
        CheckLength(parameters.Length);
        var (offset, rows, columns) = Weights(layer);
        return parameters.Slice(offset, rows * columns);
    }

    public ReadOnlySpan<float> WeightsOf(ReadOnlySpan<float> parameters, int layer)
    {
        CheckLength(parameters.Length);
        var (offset, rows, columns) = Weights(layer);
        return parameters.Slice(offset, rows * columns);
    }

    public Span<float> BiasOf(Span<float> parameters, int layer)
    {
        CheckLength(parameters.Length);
        var (offset, length) = Bias(layer);
        return parameters.Slice(offset, length);
    }

    public ReadOnlySpan<float> BiasOf(ReadOnlySpan<float> parameters, int layer)
    {
        CheckLength(parameters.Length);
        var (offset, length) = Bias(layer);
        return parameters.Slice(offset, length);
    }

    /// <summary>Throws unless a buffer has exactly <see cref="Count"/> floats.</summary>
    internal void CheckLength(int length, string name = "parameters")
    {
        if (length != Count)
        {
            throw new ArgumentException($"Expected {Count} floats for this network, got {length}.", name);
        }
    }

    private void CheckLayer(int layer)
    {
        if ((uint)layer >= (uint)LayerCount)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"The network has layers 0..{LayerCount - 1}.");
        }
    }
}
