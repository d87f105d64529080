// 6×16 register tile with 256-bit fused multiply-adds, for machines without AVX-512 (16 vector registers):
// 12 accumulators, 2 B vectors, 1 broadcast of A.
// Sizes: MR = 6 rows of C, NR = 16 columns of C (two vectors of 8), kc = depth of the block.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistTrain.Core.Kernels;

internal readonly unsafe struct Vector256MicroTile : IMicroTile
{
    public static int Rows => 6;

    public static int Cols => 16;

    public static int PanelWidth(int cols) => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* a, nint rowStride, nint depthStride, float* bPanel, int kc, float* c, nint ldc, int rows, int cols, bool load)
    {
        if (rows == 6 && cols == 16)
        {
            Kernel(a, rowStride, depthStride, bPanel, kc, c, ldc, rows, load);
            return;
        }
        float* tile = stackalloc float[6 * 16];
        PartialTile.Prepare(c, ldc, rows, cols, load, tile, 6, 16);
        Kernel(a, rowStride, depthStride, bPanel, kc, tile, 16, rows, load);
        PartialTile.Finish(tile, 16, c, ldc, rows, cols);
    }

    // Rows past `rows` re-read the last real row of A, so A is never read out of bounds.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(float* a, nint rowStride, nint depthStride, float* bPanel, int kc, float* c, nint ldc, int rows, bool load)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load)
        {
            c00 = Vector256.Load(c); c01 = Vector256.Load(c + 8);
            c10 = Vector256.Load(c + ldc); c11 = Vector256.Load(c + ldc + 8);
            c20 = Vector256.Load(c + 2 * ldc); c21 = Vector256.Load(c + 2 * ldc + 8);
            c30 = Vector256.Load(c + 3 * ldc); c31 = Vector256.Load(c + 3 * ldc + 8);
            c40 = Vector256.Load(c + 4 * ldc); c41 = Vector256.Load(c + 4 * ldc + 8);
            c50 = Vector256.Load(c + 5 * ldc); c51 = Vector256.Load(c + 5 * ldc + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = Vector256<float>.Zero;
            c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }

        float* a0 = a, a1 = a + Math.Min(1, rows - 1) * rowStride, a2 = a + Math.Min(2, rows - 1) * rowStride;
        float* a3 = a + Math.Min(3, rows - 1) * rowStride, a4 = a + Math.Min(4, rows - 1) * rowStride, a5 = a + Math.Min(5, rows - 1) * rowStride;
        nint offset = 0;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(bPanel);
            var b1 = Vector256.Load(bPanel + 8);
            var x = Vector256.Create(a0[offset]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[offset]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[offset]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[offset]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[offset]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[offset]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            offset += depthStride;
            bPanel += 16;
        }

        c00.Store(c); c01.Store(c + 8);
        c10.Store(c + ldc); c11.Store(c + ldc + 8);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
    }
}
