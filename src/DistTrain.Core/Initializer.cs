// Initial weights. Sizes: D = fan-in (inputs of a layer), H = fan-out (units of the layer).
// ReLU family (relu, leaky-relu, elu): He normal, W ~ N(0, 2/D).
// Sigmoid, tanh: Glorot uniform, W ~ U(−√(6/(D+H)), +√(6/(D+H))).
// Every layer, the output layer included, uses the rule of the network's activation; biases are 0.
using DistTrain.Core.Randomness;

namespace DistTrain.Core;

public static class Initializer
{
    /// <summary>
    /// Fills <paramref name="parameters"/> (length = layout count) deterministically from <paramref name="seed"/>:
    /// the same seed gives the same bits on every machine and runtime. Layers are drawn in order, weights row-major.
    /// </summary>
    public static void Initialize(NetworkSpec spec, Span<float> parameters, int seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var layout = new ParameterLayout(spec);
        layout.CheckLength(parameters.Length, nameof(parameters));

        var random = new Xoshiro256StarStar((ulong)(long)seed);
        var normal = new NormalSampler(random);
        bool he = spec.Activation is ActivationKind.Relu or ActivationKind.LeakyRelu or ActivationKind.Elu;

        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            var (_, fanOut, fanIn) = layout.Weights(layer);
            Span<float> weights = layout.WeightsOf(parameters, layer);
            if (he)
            {
                double std = Math.Sqrt(2.0 / fanIn);
                for (int i = 0; i < weights.Length; i++)
                {
                    weights[i] = (float)(std * normal.Next());
                }
            }
            else
            {
                double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
                for (int i = 0; i < weights.Length; i++)
                {
                    weights[i] = (float)(limit * (2 * random.NextDouble() - 1));
                }
            }
            layout.BiasOf(parameters, layer).Clear();
        }
    }
}
