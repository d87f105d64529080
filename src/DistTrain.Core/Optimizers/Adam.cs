// Adam with bias correction, written as PyTorch computes it. At step t (from 1):
//   m = β₁·m + (1 − β₁)·g
//   v = β₂·v + (1 − β₂)·g²
//   w −= (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
// Sizes: P = parameters; w, g, m, v [P].
using System.Numerics;

namespace DistTrain.Core;

internal sealed class Adam(int parameterCount, float beta1, float beta2, float epsilon) : IOptimizer
{
    // m in [0, P), v in [P, 2P): one array, so State is one copy.
    private readonly float[] _moments = new float[2 * parameterCount];

    public OptimizerKind Kind => OptimizerKind.Adam;

    public long Steps { get; private set; }

    /// <summary>A copy of the first moments m followed by the second moments v.</summary>
    public float[] State => (float[])_moments.Clone();

    public int StateVectors => 2;

    public ReadOnlySpan<float> StateVector(int index) =>
        index is 0 or 1 ? _moments.AsSpan(index * parameterCount, parameterCount)
            : throw new ArgumentOutOfRangeException(nameof(index), index, "Adam keeps two state vectors, m and v.");

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate)
    {
        Optimizers.CheckStep(parameterCount, parameters.Length, gradient.Length);
        StepSlice(0, parameters, gradient, learningRate);
        EndStep();
    }

    public void EndStep() => Steps++;

    public void StepSlice(int offset, Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate)
    {
        Optimizers.CheckSlice(parameterCount, offset, parameters.Length, gradient.Length);
        long t = Steps + 1;
        float stepSize = (float)(learningRate / (1 - Math.Pow(beta1, t)));
        float rootCorrection2 = (float)Math.Sqrt(1 - Math.Pow(beta2, t));

        int count = parameters.Length;
        Span<float> m = _moments.AsSpan(offset, count);
        Span<float> v = _moments.AsSpan(parameterCount + offset, count);
        float keep1 = 1 - beta1;
        float keep2 = 1 - beta2;

        int i = 0;
        var vBeta1 = new Vector<float>(beta1);
        var vBeta2 = new Vector<float>(beta2);
        var vKeep1 = new Vector<float>(keep1);
        var vKeep2 = new Vector<float>(keep2);
        var vStep = new Vector<float>(stepSize);
        var vRoot = new Vector<float>(rootCorrection2);
        var vEpsilon = new Vector<float>(epsilon);
        for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
        {
            var g = new Vector<float>(gradient[i..]);
            var mi = vBeta1 * new Vector<float>(m[i..]) + vKeep1 * g;
            var vi = vBeta2 * new Vector<float>(v[i..]) + vKeep2 * (g * g);
            mi.CopyTo(m[i..]);
            vi.CopyTo(v[i..]);
            var denominator = Vector.SquareRoot(vi) / vRoot + vEpsilon;
            (new Vector<float>(parameters[i..]) - vStep * mi / denominator).CopyTo(parameters[i..]);
        }
        for (; i < count; i++)
        {
            float g = gradient[i];
            float mi = beta1 * m[i] + keep1 * g;
            float vi = beta2 * v[i] + keep2 * (g * g);
            m[i] = mi;
            v[i] = vi;
            float denominator = MathF.Sqrt(vi) / rootCorrection2 + epsilon;
            parameters[i] -= stepSize * mi / denominator;
        }
    }

    public void Restore(ReadOnlySpan<float> state, long steps)
    {
        Optimizers.CheckRestore(Kind, _moments.Length, state.Length, steps);
        state.CopyTo(_moments);
        Steps = steps;
    }
}
