// The bits of C depend only on the inputs and sizes: not on the thread count, on how the tiles are
// shared out, on which thread runs a share, or on other products running at the same time.
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

public sealed class GemmDeterminismTests
{
    public static TheoryData<GemmProduct, int, int, int, bool> Shapes()
    {
        var data = new TheoryData<GemmProduct, int, int, int, bool>();
        foreach (var (product, m, n, k) in GemmProducts.Training)
        {
            data.Add(product, m, n, k, product == GemmProduct.ABt);
        }
        foreach (var product in GemmProducts.All)
        {
            data.Add(product, 43, 256, 784, true);
            data.Add(product, 21, 250, 300, false);
            data.Add(product, 97, 33, 1000, true);
            data.Add(product, 200, 9, 77, false);
            data.Add(product, 60, 70, 1700, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Thread_counts_1_2_and_3_give_identical_bits(GemmProduct product, int m, int n, int k, bool accumulate)
    {
        foreach (var set in GemmProducts.Supported())
        {
            var random = new Random(HashCode.Combine(product, m, n, k));
            var (aLength, bLength) = GemmProducts.OperandLengths(m, n, k);
            float[] a = GemmProducts.Random(random, aLength);
            float[] b = GemmProducts.Random(random, bLength);
            float[] initial = GemmProducts.Random(random, m * n);

            float[] single = (float[])initial.Clone();
            GemmProducts.Fast(product, a, b, m, n, k, single, accumulate, threads: 1, set);
            foreach (int threads in new[] { 2, 3, 2, 3 })
            {
                float[] c = (float[])initial.Clone();
                GemmProducts.Fast(product, a, b, m, n, k, c, accumulate, threads, set);
                int at = GemmProducts.FirstBitDifference(single, c);
                Assert.True(at < 0, $"{set} {product} M={m} N={n} K={k}: {threads} threads differ from 1 at element {at}: {(at < 0 ? 0 : c[at])} vs {(at < 0 ? 0 : single[at])}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Any_split_into_shares_gives_identical_bits(GemmProduct product, int m, int n, int k, bool accumulate)
    {
        // Runs the shares one after another on this thread, so the split itself is tested apart from timing.
        var random = new Random(HashCode.Combine(n, m, k, product));
        var (aLength, bLength) = GemmProducts.OperandLengths(m, n, k);
        float[] a = GemmProducts.Random(random, aLength);
        float[] b = GemmProducts.Random(random, bLength);
        float[] initial = GemmProducts.Random(random, m * n);

        float[] whole = (float[])initial.Clone();
        RunInShares(product, a, b, m, n, k, whole, accumulate, shares: 1);
        foreach (int shares in new[] { 2, 3, 5, 8, 33 })
        {
            float[] c = (float[])initial.Clone();
            RunInShares(product, a, b, m, n, k, c, accumulate, shares);
            int at = GemmProducts.FirstBitDifference(whole, c);
            Assert.True(at < 0, $"{product} M={m} N={n} K={k}: {shares} shares differ from one at element {at}");
        }
    }

    [Fact]
    public void The_thread_count_does_not_change_bits()
    {
        var random = new Random(11);
        const int m = 128, n = 256, k = 784;
        float[] a = GemmProducts.Random(random, m * k);
        float[] b = GemmProducts.Random(random, n * k);
        var results = new List<float[]>();
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var c = new float[m * n];
            Gemm.MultiplyABt(a, b, m, n, k, c, threads);
            results.Add(c);
        }
        Assert.Equal(-1, GemmProducts.FirstBitDifference(results[0], results[1]));
        Assert.Equal(-1, GemmProducts.FirstBitDifference(results[0], results[2]));
    }

    [Fact]
    public void Concurrent_callers_get_the_same_bits_as_serial_ones()
    {
        // Callers that find the worker team busy run alone; either way the bits must not change.
        const int callers = 4, rounds = 25;
        var shapes = new[] { (GemmProduct.ABt, 64, 256, 784), (GemmProduct.AtB, 256, 100, 64), (GemmProduct.AB, 50, 128, 128), (GemmProduct.ABt, 128, 10, 128) };
        var inputs = new List<(GemmProduct Product, int M, int N, int K, float[] A, float[] B, float[] Expected)>();
        var random = new Random(3);
        foreach (var (product, m, n, k) in shapes)
        {
            float[] a = GemmProducts.Random(random, m * k);
            float[] b = GemmProducts.Random(random, k * n);
            var expected = new float[m * n];
            GemmProducts.Fast(product, a, b, m, n, k, expected, accumulate: false, threads: 1, Gemm.InstructionSet);
            inputs.Add((product, m, n, k, a, b, expected));
        }

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, callers).Select(caller => new Thread(() =>
        {
            for (int round = 0; round < rounds; round++)
            {
                var (product, m, n, k, a, b, expected) = inputs[(caller + round) % inputs.Count];
                var c = new float[m * n];
                GemmProducts.Fast(product, a, b, m, n, k, c, accumulate: false, threads: 2, Gemm.InstructionSet);
                int at = GemmProducts.FirstBitDifference(expected, c);
                if (at >= 0)
                {
                    failures.Add($"caller {caller} round {round} {product} M={m} N={n} K={k}: element {at}");
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures);
    }

    private static unsafe void RunInShares(GemmProduct product, float[] a, float[] b, int m, int n, int k, float[] c, bool accumulate, int shares)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            var problem = product switch
            {
                GemmProduct.ABt => new GemmProblem(pa, k, 1, pb, 1, k, pc, m, n, k, accumulate),
                GemmProduct.AtB => new GemmProblem(pa, 1, m, pb, n, 1, pc, m, n, k, accumulate),
                _ => new GemmProblem(pa, k, 1, pb, n, 1, pc, m, n, k, accumulate),
            };
            // Reverse order: a share must not rely on another having run first.
            for (int share = shares - 1; share >= 0; share--)
            {
                switch (Gemm.InstructionSet)
                {
                    case GemmInstructionSet.Vector512:
                        GemmDriver<Avx512MicroTile>.RunShare(problem, share, shares);
                        break;
                    case GemmInstructionSet.Vector256:
                        GemmDriver<Vector256MicroTile>.RunShare(problem, share, shares);
                        break;
                    default:
                        GemmDriver<ScalarMicroTile>.RunShare(problem, share, shares);
                        break;
                }
            }
        }
    }
}
