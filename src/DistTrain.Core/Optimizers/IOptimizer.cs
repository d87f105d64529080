namespace DistTrain.Core;

/// <summary>Applies gradients to parameters; owns whatever state the rule carries between steps.</summary>
public interface IOptimizer
{
    OptimizerKind Kind { get; }

    /// <summary>Steps taken so far (restored by <see cref="Restore"/>).</summary>
    long Steps { get; }

    /// <summary>Updates <paramref name="parameters"/> in place from <paramref name="gradient"/> (both of the optimizer's parameter count).</summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate);

    /// <summary>
    /// Part of a step: updates the parameters at [<paramref name="offset"/>, offset + length) and
    /// the rule's state for them, exactly as <see cref="Step"/> would. A step done slice by slice
    /// (each index once, then <see cref="EndStep"/>) gives the same bits as one <see cref="Step"/>;
    /// it lets a caller update a cache-sized block right after computing its gradient. Slices that
    /// do not overlap may run on different threads at once.
    /// </summary>
    void StepSlice(int offset, Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate);

    /// <summary>Counts the step whose slices were all updated by <see cref="StepSlice"/>.</summary>
    void EndStep();

    /// <summary>
    /// A COPY of everything besides <see cref="Steps"/> needed to continue bit for bit after a restart:
    /// empty for SGD, the velocity for momentum, the first then the second moments for Adam.
    /// </summary>
    float[] State { get; }

    /// <summary>Vectors of state per parameter: 0 for SGD, 1 for momentum (velocity), 2 for Adam (m, then v); <see cref="State"/> holds them one after another.</summary>
    int StateVectors { get; }

    /// <summary>
    /// State vector <paramref name="index"/> (0 ≤ index &lt; <see cref="StateVectors"/>) of every
    /// parameter, read in place (no copy); it changes with the next step.
    /// </summary>
    ReadOnlySpan<float> StateVector(int index);

    /// <summary>Puts back a <see cref="State"/> and step count; throws <see cref="ArgumentException"/> on a wrong length.</summary>
    void Restore(ReadOnlySpan<float> state, long steps);
}
