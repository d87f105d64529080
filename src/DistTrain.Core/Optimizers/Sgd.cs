// Plain SGD: w −= lr·g. Sizes: P = parameters; w, g [P].
using System.Numerics.Tensors;

namespace DistTrain.Core;

internal sealed class Sgd(int parameterCount) : IOptimizer
{
    public OptimizerKind Kind => OptimizerKind.Sgd;

    public long Steps { get; private set; }

    public float[] State => [];

    public int StateVectors => 0;

    public ReadOnlySpan<float> StateVector(int index) => throw new ArgumentOutOfRangeException(nameof(index), index, "SGD keeps no state.");

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate)
    {
        Optimizers.CheckStep(parameterCount, parameters.Length, gradient.Length);
        StepSlice(0, parameters, gradient, learningRate);
        EndStep();
    }

    public void StepSlice(int offset, Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate)
    {
        Optimizers.CheckSlice(parameterCount, offset, parameters.Length, gradient.Length);
        TensorPrimitives.MultiplyAdd(gradient, -learningRate, parameters, parameters);
    }

    public void EndStep() => Steps++;

    public void Restore(ReadOnlySpan<float> state, long steps)
    {
        Optimizers.CheckRestore(Kind, 0, state.Length, steps);
        Steps = steps;
    }
}
