// The fast products against the naive reference, on every supported instruction set.
// Each element must agree within 1e-4 of Σp |A(i,p)·B(p,j)| (+ |C| when accumulating): the size of the
// rounding the sum can carry, whatever the order of the additions.
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

public sealed class GemmAccuracyTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<GemmProduct, int, int, int, bool, GemmInstructionSet> TrainingCases()
    {
        var data = new TheoryData<GemmProduct, int, int, int, bool, GemmInstructionSet>();
        foreach (var set in GemmProducts.Supported())
        {
            foreach (var (product, m, n, k) in GemmProducts.Training)
            {
                data.Add(product, m, n, k, false, set);
                data.Add(product, m, n, k, true, set);
            }
        }
        return data;
    }

    public static TheoryData<GemmProduct, int, int, int, bool, GemmInstructionSet> OddCases()
    {
        var data = new TheoryData<GemmProduct, int, int, int, bool, GemmInstructionSet>();
        foreach (var set in GemmProducts.Supported())
        {
            foreach (var product in GemmProducts.All)
            {
                foreach (var (m, n, k) in GemmProducts.Odd)
                {
                    data.Add(product, m, n, k, false, set);
                    data.Add(product, m, n, k, true, set);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TrainingCases))]
    public void Training_shapes_match_the_reference(GemmProduct product, int m, int n, int k, bool accumulate, GemmInstructionSet set)
        => AssertMatchesReference(product, m, n, k, accumulate, set, threads: 2);

    [Theory]
    [MemberData(nameof(OddCases))]
    public void Odd_shapes_match_the_reference(GemmProduct product, int m, int n, int k, bool accumulate, GemmInstructionSet set)
        => AssertMatchesReference(product, m, n, k, accumulate, set, threads: 2);

    [Theory]
    [InlineData(GemmProduct.ABt)]
    [InlineData(GemmProduct.AtB)]
    [InlineData(GemmProduct.AB)]
    public void Public_entry_points_match_the_reference(GemmProduct product)
    {
        foreach (var (m, n, k) in new[] { (128, 256, 784), (33, 17, 300), (1, 1, 1) })
        {
            var random = new Random(m + n + k);
            var (aLength, bLength) = GemmProducts.OperandLengths(m, n, k);
            float[] a = GemmProducts.Random(random, aLength);
            float[] b = GemmProducts.Random(random, bLength);
            float[] expected = GemmProducts.Random(random, m * n);
            float[] actual = (float[])expected.Clone();
            GemmProducts.Reference(product, a, b, m, n, k, expected, accumulate: true);
            GemmProducts.Public(product, a, b, m, n, k, actual, accumulate: true);
            AssertClose(product, a, b, m, n, k, null, expected, actual, "public");
        }
    }

    [Theory]
    [InlineData(GemmProduct.ABt, 37, 45, 300)]
    [InlineData(GemmProduct.AtB, 37, 45, 300)]
    [InlineData(GemmProduct.AB, 37, 45, 300)]
    [InlineData(GemmProduct.AB, 9, 33, 5)]
    public void A_non_finite_input_reaches_only_its_own_row_or_column(GemmProduct product, int m, int n, int k)
    {
        foreach (var set in GemmProducts.Supported())
        {
            var random = new Random(5);
            var (aLength, bLength) = GemmProducts.OperandLengths(m, n, k);
            float[] a = GemmProducts.Random(random, aLength);
            float[] b = GemmProducts.Random(random, bLength);
            // A(m-1, k-1) feeds only row m-1; B(0, n-1) feeds only column n-1: both sit on partial tiles.
            if (product == GemmProduct.AtB)
            {
                a[(k - 1) * m + m - 1] = float.NaN;
            }
            else
            {
                a[(m - 1) * k + k - 1] = float.NaN;
            }
            if (product == GemmProduct.ABt)
            {
                b[(n - 1) * k] = float.PositiveInfinity;
            }
            else
            {
                b[n - 1] = float.PositiveInfinity;
            }
            var c = new float[m * n];
            GemmProducts.Fast(product, a, b, m, n, k, c, accumulate: false, threads: 2, set);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    bool touched = i == m - 1 || j == n - 1;
                    Assert.True(touched || float.IsFinite(c[i * n + j]), $"{set}: C({i},{j}) = {c[i * n + j]} though neither its row nor column saw a non-finite input");
                    Assert.True(!touched || !float.IsFinite(c[i * n + j]), $"{set}: C({i},{j}) = {c[i * n + j]} lost the non-finite input of its row or column");
                }
            }
        }
    }

    private static void AssertMatchesReference(GemmProduct product, int m, int n, int k, bool accumulate, GemmInstructionSet set, int threads)
    {
        var random = new Random(HashCode.Combine(product, m, n, k, accumulate));
        var (aLength, bLength) = GemmProducts.OperandLengths(m, n, k);
        float[] a = GemmProducts.Random(random, aLength);
        float[] b = GemmProducts.Random(random, bLength);
        // Overwriting must not read C: start it as NaN so any read shows.
        float[] initial = accumulate ? GemmProducts.Random(random, m * n) : Enumerable.Repeat(float.NaN, m * n).ToArray();
        float[] expected = (float[])initial.Clone();
        float[] actual = (float[])initial.Clone();

        GemmProducts.Reference(product, a, b, m, n, k, expected, accumulate);
        GemmProducts.Fast(product, a, b, m, n, k, actual, accumulate, threads, set);

        AssertClose(product, a, b, m, n, k, accumulate ? initial : null, expected, actual, set.ToString());
    }

    private static void AssertClose(GemmProduct product, float[] a, float[] b, int m, int n, int k, float[]? initial, float[] expected, float[] actual, string label)
    {
        double maxAbs = 0, maxRelative = 0;
        int worst = -1;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double scale = initial is null ? 0 : Math.Abs(initial[i * n + j]);
                for (int p = 0; p < k; p++)
                {
                    scale += Math.Abs((double)GemmProducts.AAt(product, a, m, k, i, p) * GemmProducts.BAt(product, b, n, k, p, j));
                }
                double difference = Math.Abs((double)expected[i * n + j] - actual[i * n + j]);
                double relative = difference / Math.Max(scale, double.Epsilon);
                if (double.IsNaN(difference) || relative > maxRelative)
                {
                    maxRelative = double.IsNaN(difference) ? double.PositiveInfinity : relative;
                    worst = i * n + j;
                }
                maxAbs = Math.Max(maxAbs, difference);
            }
        }
        Assert.True(
            maxRelative <= Tolerance,
            $"{label} {product} M={m} N={n} K={k}: max |difference| {maxAbs:E3}, max relative to Σ|a·b| {maxRelative:E3} " +
            $"at element {worst} (expected {(worst < 0 ? 0 : expected[worst])}, actual {(worst < 0 ? 0 : actual[worst])})");
    }
}
