// Naive matrix products: the reference the fast kernels are tested against.
// Sizes: M rows of the result, N columns of the result, K the shared (reduced) dimension.
// All matrices are dense and row-major.
namespace DistTrain.Core.Kernels;

public static class GemmReference
{
    /// <summary>C[M×N] (+)= A[M×K] · B[N×K]ᵀ. The forward product Y = X·Wᵀ.</summary>
    public static void MultiplyABt(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = accumulate ? c[i * n + j] : 0f;
                for (int p = 0; p < k; p++)
                {
                    sum += a[i * k + p] * b[j * k + p];
                }
                c[i * n + j] = sum;
            }
        }
    }

    /// <summary>C[M×N] (+)= A[K×M]ᵀ · B[K×N]. The weight gradient dW = dYᵀ·X.</summary>
    public static void MultiplyAtB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = accumulate ? c[i * n + j] : 0f;
                for (int p = 0; p < k; p++)
                {
                    sum += a[p * m + i] * b[p * n + j];
                }
                c[i * n + j] = sum;
            }
        }
    }

    /// <summary>C[M×N] (+)= A[M×K] · B[K×N]. The input gradient dX = dY·W.</summary>
    public static void MultiplyAB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<float> c, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = accumulate ? c[i * n + j] : 0f;
                for (int p = 0; p < k; p++)
                {
                    sum += a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = sum;
            }
        }
    }
}
