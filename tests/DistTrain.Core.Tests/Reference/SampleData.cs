// Random but reproducible test inputs: parameters, pixel bytes and labels.
using DistTrain.Core;

namespace DistTrain.Core.Tests.Reference;

internal static class SampleData
{
    /// <summary>Weights ~ U(−1, 1)·√(3/D) (unit-variance pre-activations) and biases ~ U(−0.2, 0.2).</summary>
    public static float[] Parameters(NetworkSpec spec, int seed)
    {
        var random = new Random(seed);
        var layout = new ParameterLayout(spec);
        var parameters = new float[layout.Count];
        for (int layer = 0; layer < layout.LayerCount; layer++)
        {
            var (_, _, columns) = layout.Weights(layer);
            float scale = MathF.Sqrt(3f / columns);
            foreach (ref float w in layout.WeightsOf(parameters.AsSpan(), layer))
            {
                w = scale * (2 * random.NextSingle() - 1);
            }
            foreach (ref float b in layout.BiasOf(parameters.AsSpan(), layer))
            {
                b = 0.2f * (2 * random.NextSingle() - 1);
            }
        }
        return parameters;
    }

    public static byte[] Pixels(NetworkSpec spec, int count, int seed)
    {
        var pixels = new byte[count * spec.InputSize];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    public static byte[] Labels(NetworkSpec spec, int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (byte)random.Next(spec.OutputSize))];
    }

    public static double[] Widen(ReadOnlySpan<float> values) => [.. values.ToArray().Select(v => (double)v)];
}
