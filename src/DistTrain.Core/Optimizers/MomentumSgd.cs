// SGD with momentum, PyTorch convention (dampening 0, not Nesterov):
//   v = μ·v + g;  w −= lr·v
// Sizes: P = parameters; w, g, v [P].
using System.Numerics.Tensors;

namespace DistTrain.Core;

internal sealed class MomentumSgd(int parameterCount, float momentum) : IOptimizer
{
    private readonly float[] _velocity = new float[parameterCount];

    public OptimizerKind Kind => OptimizerKind.Momentum;

    public long Steps { get; private set; }

    /// <summary>A copy of the velocity v.</summary>
    public float[] State => (float[])_velocity.Clone();

    public int StateVectors => 1;

    public ReadOnlySpan<float> StateVector(int index) =>
        index == 0 ? _velocity : throw new ArgumentOutOfRangeException(nameof(index), index, "Momentum keeps one state vector, the velocity.");

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate)
    {
        Optimizers.CheckStep(parameterCount, parameters.Length, gradient.Length);
        StepSlice(0, parameters, gradient, learningRate);
        EndStep();
    }

    public void StepSlice(int offset, Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate)
    {
        Optimizers.CheckSlice(parameterCount, offset, parameters.Length, gradient.Length);
        var velocity = _velocity.AsSpan(offset, parameters.Length);
        TensorPrimitives.MultiplyAdd(velocity, momentum, gradient, velocity);
        TensorPrimitives.MultiplyAdd(velocity, -learningRate, parameters, parameters);
    }

    public void EndStep() => Steps++;

    public void Restore(ReadOnlySpan<float> state, long steps)
    {
        Optimizers.CheckRestore(Kind, _velocity.Length, state.Length, steps);
        state.CopyTo(_velocity);
        Steps = steps;
    }
}
