namespace DistTrain.Core;

public static class Optimizers
{
    /// <param name="momentum">μ for <see cref="OptimizerKind.Momentum"/>, in [0, 1).</param>
    /// <param name="beta1">Adam's first-moment decay, in [0, 1).</param>
    /// <param name="beta2">Adam's second-moment decay, in [0, 1).</param>
    /// <param name="epsilon">Adam's denominator guard, &gt; 0.</param>
    public static IOptimizer Create(
        OptimizerKind kind, int parameterCount, float momentum = 0.9f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        return kind switch
        {
            OptimizerKind.Sgd => new Sgd(parameterCount),
            OptimizerKind.Momentum => new MomentumSgd(parameterCount, CheckDecay(momentum, nameof(momentum))),
            OptimizerKind.Adam => new Adam(
                parameterCount, CheckDecay(beta1, nameof(beta1)), CheckDecay(beta2, nameof(beta2)),
                epsilon > 0 && float.IsFinite(epsilon) ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive and finite.")),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown optimizer."),
        };
    }

    private static float CheckDecay(float value, string name) =>
        value is >= 0f and < 1f ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1).");

    /// <summary>Shared argument checks of every rule's Step.</summary>
    internal static void CheckStep(int parameterCount, int parameters, int gradient)
    {
        if (parameters != parameterCount || gradient != parameterCount)
        {
            throw new ArgumentException(
                $"The optimizer was made for {parameterCount} parameters; got {parameters} parameters and {gradient} gradient values.");
        }
    }

    /// <summary>Shared argument checks of every rule's StepSlice.</summary>
    internal static void CheckSlice(int parameterCount, int offset, int parameters, int gradient)
    {
        if (parameters != gradient || offset < 0 || (long)offset + parameters > parameterCount)
        {
            throw new ArgumentException(
                $"A slice at {offset} of {parameters} parameters and {gradient} gradient values does not fit the optimizer's {parameterCount} parameters.");
        }
    }

    /// <summary>Shared argument checks of every rule's Restore.</summary>
    internal static void CheckRestore(OptimizerKind kind, int expectedLength, int length, long steps)
    {
        if (length != expectedLength)
        {
            throw new ArgumentException(
                $"{kind} state must hold {expectedLength} floats for this parameter count, got {length}.", "state");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
    }
}
