// Dense (fully connected) layer over a whole batch at once, as matrix-matrix products.
//   Forward:  Y = X·Wᵀ + b
//   Backward: dW = dYᵀ·X,  db = Σ_rows dY,  dX = dY·W
// Sizes: N = batch rows, D = inputs, H = units.
// X [N × D], W [H × D], b [H], Y [N × H]; all row-major.
using System.Numerics.Tensors;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Layers;

internal static class Dense
{
    /// <param name="x">X [N × D].</param>
    /// <param name="w">W [H × D].</param>
    /// <param name="b">b [H].</param>
    /// <param name="y">Y [N × H], overwritten.</param>
    /// <param name="threads">Threads the product may use.</param>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, int n, int d, int h, Span<float> y, int threads)
    {
        // Seed each row with the bias and let the product accumulate onto it: saves a pass over Y.
        for (int row = 0; row < n; row++)
        {
            b.CopyTo(y.Slice(row * h, h));
        }
        Gemm.MultiplyABt(x, w, n, h, d, y, threads, accumulate: true);
    }

    /// <param name="x">X [N × D], the input the forward pass saw.</param>
    /// <param name="w">W [H × D].</param>
    /// <param name="dY">dY [N × H], gradient of the loss sum with respect to Y.</param>
    /// <param name="dW">dW [H × D], overwritten or added to.</param>
    /// <param name="dB">db [H], overwritten or added to.</param>
    /// <param name="dX">dX [N × D], overwritten; empty to skip (the first layer needs no input gradient).</param>
    /// <param name="accumulate">Add to dW and db instead of overwriting them.</param>
    /// <param name="threads">Threads the products may use.</param>
    public static void Backward(
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dY, int n, int d, int h,
        Span<float> dW, Span<float> dB, Span<float> dX, bool accumulate, int threads)
    {
        Gemm.MultiplyAtB(dY, x, h, d, n, dW, threads, accumulate);

        // Rows are added in order so db does not depend on anything but the inputs.
        int row = 0;
        if (!accumulate)
        {
            if (n == 0)
            {
                dB[..h].Clear();
            }
            else
            {
                dY[..h].CopyTo(dB);
                row = 1;
            }
        }
        for (; row < n; row++)
        {
            TensorPrimitives.Add(dB[..h], dY.Slice(row * h, h), dB[..h]);
        }

        if (!dX.IsEmpty)
        {
            Gemm.MultiplyAB(dY, w, n, d, h, dX, threads);
        }
    }
}
