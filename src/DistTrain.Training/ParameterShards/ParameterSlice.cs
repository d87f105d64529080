using DistTrain.Core;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// One owner's part of the parameters: [<see cref="Offset"/>, Offset + <see cref="Length"/>) of the
/// flat vector, and the same range of every optimizer state vector.
/// </summary>
public readonly record struct ParameterSlice(int Index, int Offset, int Length)
{
    public int End => Offset + Length;

    public bool Contains(int parameter) => parameter >= Offset && parameter < End;

    /// <summary>
    /// The slice's optimizer state (<paramref name="optimizer"/>'s vectors, each cut to this slice)
    /// after the slice's weights taken from <paramref name="parameters"/>: the layout of a
    /// SliceAssignment's and a SliceState's values.
    /// </summary>
    public float[] WeightsAndState(ReadOnlySpan<float> parameters, IOptimizer optimizer)
    {
        var values = new float[Length * (1 + optimizer.StateVectors)];
        parameters.Slice(Offset, Length).CopyTo(values);
        for (var v = 0; v < optimizer.StateVectors; v++)
        {
            optimizer.StateVector(v).Slice(Offset, Length).CopyTo(values.AsSpan((1 + v) * Length, Length));
        }
        return values;
    }

    /// <summary>
    /// Writes a slice's weights into <paramref name="parameters"/> and its state vectors into
    /// <paramref name="fullState"/> (the whole optimizer state, vector after vector of
    /// <paramref name="parameterCount"/> floats): the reverse of <see cref="WeightsAndState"/>.
    /// </summary>
    public void Scatter(ReadOnlySpan<float> values, Span<float> parameters, Span<float> fullState, int parameterCount)
    {
        var vectors = values.Length / Length - 1;
        if (values.Length != Length * (1 + vectors) || fullState.Length != vectors * parameterCount)
        {
            throw new ArgumentException($"slice {Index}: {values.Length} values do not hold {Length} weights and whole state vectors for a state of {fullState.Length} floats");
        }
        values[..Length].CopyTo(parameters.Slice(Offset, Length));
        for (var v = 0; v < vectors; v++)
        {
            values.Slice((1 + v) * Length, Length).CopyTo(fullState.Slice(v * parameterCount + Offset, Length));
        }
    }

    public override string ToString() => $"slice {Index} [{Offset}, {End})";
}
