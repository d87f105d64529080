// Fast matrix products used by the layers. Same contracts as GemmReference.
// Deterministic: the bits of C never depend on the thread count or timing.
namespace DistTrain.Core.Kernels;

public static class Gemm
{
    /// <summary>Threads the kernels may use; 1 keeps everything on the calling thread.</summary>
    public static int MaxThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>C[M×N] (+)= A[M×K] · B[N×K]ᵀ. The forward product Y = X·Wᵀ.</summary>
    public static void MultiplyABt(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, bool accumulate = false)
        => GemmReference.MultiplyABt(a, b, m, n, k, c, accumulate);

    /// <summary>C[M×N] (+)= A[K×M]ᵀ · B[K×N]. The weight gradient dW = dYᵀ·X.</summary>
    public static void MultiplyAtB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, bool accumulate = false)
        => GemmReference.MultiplyAtB(a, b, m, n, k, c, accumulate);

    /// <summary>C[M×N] (+)= A[M×K] · B[K×N]. The input gradient dX = dY·W.</summary>
    public static void MultiplyAB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, bool accumulate = false)
        => GemmReference.MultiplyAB(a, b, m, n, k, c, accumulate);
}
