// Fast matrix products used by the layers. Same contracts as GemmReference.
// Deterministic: the bits of C never depend on the thread count or timing.
// Sizes: M rows of C, N columns of C, K the reduced dimension; all matrices dense and row-major.
// C must not overlap A or B.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

public static unsafe class Gemm
{
    // Below this many flops per share, splitting costs more than it saves even with a worker already spinning.
    private const double MinFlopsPerShare = 1e5;

    /// <summary>The instruction set the kernels use on this machine.</summary>
    public static GemmInstructionSet InstructionSet { get; } = DetectInstructionSet();

    /// <summary>C[M×N] (+)= A[M×K] · B[N×K]ᵀ. The forward product Y = X·Wᵀ. Runs on up to <paramref name="threads"/> threads; the bits do not depend on it.</summary>
    public static void MultiplyABt(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, int threads, bool accumulate = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        MultiplyABt(a, b, m, n, k, c, accumulate, threads, InstructionSet);
    }

    /// <summary>C[M×N] (+)= A[K×M]ᵀ · B[K×N]. The weight gradient dW = dYᵀ·X. Runs on up to <paramref name="threads"/> threads; the bits do not depend on it.</summary>
    public static void MultiplyAtB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, int threads, bool accumulate = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        MultiplyAtB(a, b, m, n, k, c, accumulate, threads, InstructionSet);
    }

    /// <summary>C[M×N] (+)= A[M×K] · B[K×N]. The input gradient dX = dY·W. Runs on up to <paramref name="threads"/> threads; the bits do not depend on it.</summary>
    public static void MultiplyAB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, int threads, bool accumulate = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        MultiplyAB(a, b, m, n, k, c, accumulate, threads, InstructionSet);
    }

    internal static void MultiplyABt(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, bool accumulate, int maxThreads, GemmInstructionSet instructionSet)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        fixed (float* pa = a, pb = b, pc = c)
        {
            // A(i,p) = a[i·K + p]; B(p,j) = b[j·K + p].
            var problem = new GemmProblem(pa, k, 1, pb, 1, k, pc, m, n, k, accumulate);
            Execute(problem, maxThreads, instructionSet);
        }
    }

    internal static void MultiplyAtB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, bool accumulate, int maxThreads, GemmInstructionSet instructionSet)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        fixed (float* pa = a, pb = b, pc = c)
        {
            // A(i,p) = a[p·M + i]; B(p,j) = b[p·N + j].
            var problem = new GemmProblem(pa, 1, m, pb, n, 1, pc, m, n, k, accumulate);
            Execute(problem, maxThreads, instructionSet);
        }
    }

    internal static void MultiplyAB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, bool accumulate, int maxThreads, GemmInstructionSet instructionSet)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        fixed (float* pa = a, pb = b, pc = c)
        {
            // A(i,p) = a[i·K + p]; B(p,j) = b[p·N + j].
            var problem = new GemmProblem(pa, k, 1, pb, n, 1, pc, m, n, k, accumulate);
            Execute(problem, maxThreads, instructionSet);
        }
    }

    private static void Execute(in GemmProblem problem, int maxThreads, GemmInstructionSet instructionSet)
    {
        if (problem.M == 0 || problem.N == 0)
        {
            return;
        }
        if (problem.K == 0)
        {
            if (!problem.Accumulate)
            {
                new Span<float>(problem.C, problem.M * problem.N).Clear();
            }
            return;
        }
        switch (instructionSet)
        {
            case GemmInstructionSet.Vector512:
                Run<Avx512MicroTile>(problem, maxThreads);
                break;
            case GemmInstructionSet.Vector256:
                Run<Vector256MicroTile>(problem, maxThreads);
                break;
            default:
                Run<ScalarMicroTile>(problem, maxThreads);
                break;
        }
    }

    private static void Run<TTile>(in GemmProblem problem, int maxThreads)
        where TTile : struct, IMicroTile
    {
        int byWork = (int)Math.Min(int.MaxValue, problem.Flops / MinFlopsPerShare);
        int shares = Math.Min(Math.Min(maxThreads, byWork), GemmDriver<TTile>.MaxShares(problem.M, problem.N));
        GemmTeam.Run(&GemmDriver<TTile>.RunShare, problem, Math.Max(1, shares));
    }

    private static void CheckSizes(int aLength, int bLength, int cLength, int m, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (aLength < (long)m * k || bLength < (long)k * n || cLength < (long)m * n)
        {
            throw new ArgumentException($"Spans too short for M={m}, N={n}, K={k}: |A|={aLength}, |B|={bLength}, |C|={cLength}.");
        }
    }

    private static GemmInstructionSet DetectInstructionSet()
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            return GemmInstructionSet.Vector512;
        }
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported)
        {
            return GemmInstructionSet.Vector256;
        }
        return GemmInstructionSet.Scalar;
    }
}
