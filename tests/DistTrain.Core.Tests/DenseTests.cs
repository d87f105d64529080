// The batched float dense layer against per-sample double loops.
using DistTrain.Core.Layers;

namespace DistTrain.Core.Tests;

public sealed class DenseTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 7, 3)]
    [InlineData(17, 33, 9)]
    public void Forward_and_backward_match_per_sample_loops(int n, int d, int h)
    {
        var random = new Random(n * 100 + d);
        float[] x = Random(random, n * d);
        float[] w = Random(random, h * d);
        float[] b = Random(random, h);
        float[] dY = Random(random, n * h);
        var y = new float[n * h];
        var dW = new float[h * d];
        var dB = new float[h];
        var dX = new float[n * d];

        Dense.Forward(x, w, b, n, d, h, y, threads: 2);
        Dense.Backward(x, w, dY, n, d, h, dW, dB, dX, accumulate: false, threads: 2);

        for (int s = 0; s < n; s++)
        {
            for (int j = 0; j < h; j++)
            {
                double expected = b[j];
                for (int i = 0; i < d; i++)
                {
                    expected += (double)w[j * d + i] * x[s * d + i];
                }
                Assert.Equal(expected, y[s * h + j], 1e-5);
            }
            for (int i = 0; i < d; i++)
            {
                double expected = 0;
                for (int j = 0; j < h; j++)
                {
                    expected += (double)dY[s * h + j] * w[j * d + i];
                }
                Assert.Equal(expected, dX[s * d + i], 1e-5);
            }
        }
        for (int j = 0; j < h; j++)
        {
            double expectedBias = 0;
            for (int s = 0; s < n; s++)
            {
                expectedBias += dY[s * h + j];
            }
            Assert.Equal(expectedBias, dB[j], 1e-5);
            for (int i = 0; i < d; i++)
            {
                double expected = 0;
                for (int s = 0; s < n; s++)
                {
                    expected += (double)dY[s * h + j] * x[s * d + i];
                }
                Assert.Equal(expected, dW[j * d + i], 1e-5);
            }
        }
    }

    [Fact]
    public void Accumulating_backward_adds_to_previous_gradients()
    {
        var random = new Random(7);
        const int n = 4, d = 6, h = 3;
        float[] x = Random(random, n * d);
        float[] w = Random(random, h * d);
        float[] dY = Random(random, n * h);
        var dW = new float[h * d];
        var dB = new float[h];
        Dense.Backward(x, w, dY, n, d, h, dW, dB, [], accumulate: false, threads: 2);
        float[] onceW = [.. dW];
        float[] onceB = [.. dB];

        Dense.Backward(x, w, dY, n, d, h, dW, dB, [], accumulate: true, threads: 2);
        for (int i = 0; i < dW.Length; i++)
        {
            Assert.Equal(2 * onceW[i], dW[i], 1e-6);
        }
        for (int j = 0; j < h; j++)
        {
            Assert.Equal(2 * onceB[j], dB[j], 1e-6);
        }
    }

    private static float[] Random(Random random, int length) =>
        [.. Enumerable.Range(0, length).Select(_ => 2 * random.NextSingle() - 1)];
}
