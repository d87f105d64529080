// Central finite differences and the error measures the gradient tests assert on.
namespace DistTrain.Core.Tests.Reference;

internal static class GradientComparison
{
    /// <summary>
    /// ∂f/∂θ_i by the five-point central stencil (−f(+2h) + 8f(+h) − 8f(−h) + f(−2h)) / 12h: truncation
    /// error O(h⁴), so h can be large enough that rounding in f stays far below the 1e-6 the tests demand.
    /// </summary>
    public static double[] CentralDifferences(double[] theta, Func<double[], double> f, double h = 1e-4)
    {
        var numeric = new double[theta.Length];
        var probe = (double[])theta.Clone();
        for (int i = 0; i < theta.Length; i++)
        {
            probe[i] = theta[i] + 2 * h;
            double plus2 = f(probe);
            probe[i] = theta[i] + h;
            double plus1 = f(probe);
            probe[i] = theta[i] - h;
            double minus1 = f(probe);
            probe[i] = theta[i] - 2 * h;
            double minus2 = f(probe);
            probe[i] = theta[i];
            numeric[i] = (8 * (plus1 - minus1) - (plus2 - minus2)) / (12 * h);
        }
        return numeric;
    }

    /// <summary>
    /// Largest elementwise |a − b| / max(|a|, |b|), where pairs that are both below
    /// <paramref name="negligible"/> (exact zeros such as dead ReLU units) count as agreeing.
    /// </summary>
    public static double MaxRelativeError(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double negligible = 1e-12)
    {
        Assert.Equal(a.Length, b.Length);
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double scale = Math.Max(Math.Abs(a[i]), Math.Abs(b[i]));
            if (scale > negligible)
            {
                worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / scale);
            }
            else
            {
                Assert.True(double.IsFinite(a[i]) && double.IsFinite(b[i]));
            }
        }
        return worst;
    }

    /// <summary>‖a − b‖₂ / max(‖a‖₂, ‖b‖₂).</summary>
    public static double NormRelativeError(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Assert.Equal(a.Length, b.Length);
        double difference = 0, normA = 0, normB = 0;
        for (int i = 0; i < a.Length; i++)
        {
            difference += (a[i] - b[i]) * (a[i] - b[i]);
            normA += a[i] * a[i];
            normB += b[i] * b[i];
        }
        return Math.Sqrt(difference) / Math.Max(Math.Sqrt(Math.Max(normA, normB)), double.Epsilon);
    }

    /// <summary>Largest |a − b| relative to the largest |b| (the gradient's own scale).</summary>
    public static double MaxErrorOverScale(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Assert.Equal(a.Length, b.Length);
        double worst = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs(b[i]));
        }
        Assert.True(scale > 0, "The reference gradient is all zeros: the comparison would prove nothing.");
        return worst / scale;
    }
}
