// One matrix product C[M×N] (+)= A·B described by raw pointers and strides, so that the three public
// products (A·Bᵀ, Aᵀ·B, A·B) share one blocked driver.
// Sizes: M rows of C, N columns of C, K the reduced (depth) dimension.
namespace DistTrain.Core.Kernels;

internal readonly unsafe struct GemmProblem
{
    /// <summary>A(i,p) = A[i·ARowStride + p·ADepthStride].</summary>
    public readonly float* A;
    public readonly nint ARowStride;
    public readonly nint ADepthStride;

    /// <summary>B(p,j) = B[p·BDepthStride + j·BColumnStride]; one of the two strides is 1.</summary>
    public readonly float* B;
    public readonly nint BDepthStride;
    public readonly nint BColumnStride;

    /// <summary>C(i,j) = C[i·N + j].</summary>
    public readonly float* C;
    public readonly int M;
    public readonly int N;
    public readonly int K;
    public readonly bool Accumulate;

    public GemmProblem(
        float* a, nint aRowStride, nint aDepthStride,
        float* b, nint bDepthStride, nint bColumnStride,
        float* c, int m, int n, int k, bool accumulate)
    {
        A = a;
        ARowStride = aRowStride;
        ADepthStride = aDepthStride;
        B = b;
        BDepthStride = bDepthStride;
        BColumnStride = bColumnStride;
        C = c;
        M = m;
        N = n;
        K = k;
        Accumulate = accumulate;
    }

    public double Flops => 2.0 * M * N * K;
}
