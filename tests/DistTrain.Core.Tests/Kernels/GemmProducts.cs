// Test helpers: the three products behind one switch, random operands, and the sets of shapes tested.
// Sizes: M rows of C, N columns of C, K the reduced dimension.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

public enum GemmProduct
{
    ABt,
    AtB,
    AB,
}

internal static class GemmProducts
{
    public static readonly GemmProduct[] All = [GemmProduct.ABt, GemmProduct.AtB, GemmProduct.AB];

    /// <summary>The instruction sets this machine can run; the fallbacks run everywhere they are supported.</summary>
    public static GemmInstructionSet[] Supported()
    {
        var sets = new List<GemmInstructionSet> { GemmInstructionSet.Scalar };
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported)
        {
            sets.Add(GemmInstructionSet.Vector256);
        }
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            sets.Add(GemmInstructionSet.Vector512);
        }
        return [.. sets];
    }

    /// <summary>The products of the default 784-256-128-10 network at batch 128, as (M, N, K) per product.</summary>
    public static readonly (GemmProduct Product, int M, int N, int K)[] Training =
    [
        (GemmProduct.ABt, 128, 256, 784), (GemmProduct.ABt, 128, 128, 256), (GemmProduct.ABt, 128, 10, 128),
        (GemmProduct.AtB, 256, 784, 128), (GemmProduct.AtB, 128, 256, 128), (GemmProduct.AtB, 10, 128, 128),
        (GemmProduct.AB, 128, 256, 128), (GemmProduct.AB, 128, 128, 10),
    ];

    /// <summary>Edge sizes: ones, primes, just below and above tile and depth-block multiples, shard batch sizes.</summary>
    public static readonly (int M, int N, int K)[] Odd =
    [
        (1, 1, 1), (1, 1, 9), (1, 37, 1), (29, 1, 13), (2, 3, 5), (7, 11, 13), (8, 32, 16), (9, 33, 17),
        (16, 16, 16), (31, 47, 61), (64, 10, 128), (13, 250, 300), (5, 17, 1000), (97, 101, 103),
        (43, 256, 784), (21, 128, 10), (22, 10, 128), (256, 784, 21), (6, 64, 257), (12, 31, 512), (40, 50, 1601),
    ];

    public static (int A, int B) OperandLengths(int m, int n, int k) => (m * k, k * n);

    public static void Fast(GemmProduct product, float[] a, float[] b, int m, int n, int k, float[] c, bool accumulate, int threads, GemmInstructionSet set)
    {
        switch (product)
        {
            case GemmProduct.ABt:
                Gemm.MultiplyABt(a, b, m, n, k, c, accumulate, threads, set);
                break;
            case GemmProduct.AtB:
                Gemm.MultiplyAtB(a, b, m, n, k, c, accumulate, threads, set);
                break;
            default:
                Gemm.MultiplyAB(a, b, m, n, k, c, accumulate, threads, set);
                break;
        }
    }

    public static void Public(GemmProduct product, float[] a, float[] b, int m, int n, int k, float[] c, bool accumulate, int threads = 2)
    {
        switch (product)
        {
            case GemmProduct.ABt:
                Gemm.MultiplyABt(a, b, m, n, k, c, threads, accumulate);
                break;
            case GemmProduct.AtB:
                Gemm.MultiplyAtB(a, b, m, n, k, c, threads, accumulate);
                break;
            default:
                Gemm.MultiplyAB(a, b, m, n, k, c, threads, accumulate);
                break;
        }
    }

    public static void Reference(GemmProduct product, float[] a, float[] b, int m, int n, int k, float[] c, bool accumulate)
    {
        switch (product)
        {
            case GemmProduct.ABt:
                GemmReference.MultiplyABt(a, b, m, n, k, c, accumulate);
                break;
            case GemmProduct.AtB:
                GemmReference.MultiplyAtB(a, b, m, n, k, c, accumulate);
                break;
            default:
                GemmReference.MultiplyAB(a, b, m, n, k, c, accumulate);
                break;
        }
    }

    /// <summary>A(i,p) for each product's layout of A.</summary>
    public static float AAt(GemmProduct product, float[] a, int m, int k, int i, int p)
        => product == GemmProduct.AtB ? a[p * m + i] : a[i * k + p];

    /// <summary>B(p,j) for each product's layout of B.</summary>
    public static float BAt(GemmProduct product, float[] b, int n, int k, int p, int j)
        => product == GemmProduct.ABt ? b[j * k + p] : b[p * n + j];

    public static float[] Random(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return values;
    }

    /// <summary>Index of the first element whose bits differ, or -1.</summary>
    public static int FirstBitDifference(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                return i;
            }
        }
        return -1;
    }
}
