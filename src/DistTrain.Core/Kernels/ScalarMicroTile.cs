// 4×4 scalar tile for machines without usable vector units: 16 accumulators in registers.
// Sizes: MR = 4 rows of C, NR = 4 columns of C, kc = depth of the block.
// Plain multiply then add: a software fused multiply-add would be far slower without hardware support.
using System.Runtime.CompilerServices;

namespace DistTrain.Core.Kernels;

internal readonly unsafe struct ScalarMicroTile : IMicroTile
{
    public static int Rows => 4;

    public static int Cols => 4;

    public static int PanelWidth(int cols) => 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* a, nint rowStride, nint depthStride, float* bPanel, int kc, float* c, nint ldc, int rows, int cols, bool load)
    {
        if (rows == 4 && cols == 4)
        {
            Kernel(a, rowStride, depthStride, bPanel, kc, c, ldc, rows, load);
            return;
        }
        float* tile = stackalloc float[4 * 4];
        PartialTile.Prepare(c, ldc, rows, cols, load, tile, 4, 4);
        Kernel(a, rowStride, depthStride, bPanel, kc, tile, 4, rows, load);
        PartialTile.Finish(tile, 4, c, ldc, rows, cols);
    }

    // Rows past `rows` re-read the last real row of A, so A is never read out of bounds.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(float* a, nint rowStride, nint depthStride, float* bPanel, int kc, float* c, nint ldc, int rows, bool load)
    {
        float* c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc;
        float s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        float s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        if (load)
        {
            s00 = c0[0]; s01 = c0[1]; s02 = c0[2]; s03 = c0[3];
            s10 = c1[0]; s11 = c1[1]; s12 = c1[2]; s13 = c1[3];
            s20 = c2[0]; s21 = c2[1]; s22 = c2[2]; s23 = c2[3];
            s30 = c3[0]; s31 = c3[1]; s32 = c3[2]; s33 = c3[3];
        }

        float* a0 = a, a1 = a + Math.Min(1, rows - 1) * rowStride;
        float* a2 = a + Math.Min(2, rows - 1) * rowStride, a3 = a + Math.Min(3, rows - 1) * rowStride;
        nint offset = 0;
        for (int p = 0; p < kc; p++)
        {
            float b0 = bPanel[0], b1 = bPanel[1], b2 = bPanel[2], b3 = bPanel[3];
            float x = a0[offset];
            s00 += x * b0; s01 += x * b1; s02 += x * b2; s03 += x * b3;
            x = a1[offset];
            s10 += x * b0; s11 += x * b1; s12 += x * b2; s13 += x * b3;
            x = a2[offset];
            s20 += x * b0; s21 += x * b1; s22 += x * b2; s23 += x * b3;
            x = a3[offset];
            s30 += x * b0; s31 += x * b1; s32 += x * b2; s33 += x * b3;
            offset += depthStride;
            bPanel += 4;
        }

        c0[0] = s00; c0[1] = s01; c0[2] = s02; c0[3] = s03;
        c1[0] = s10; c1[1] = s11; c1[2] = s12; c1[3] = s13;
        c2[0] = s20; c2[1] = s21; c2[2] = s22; c2[3] = s23;
        c3[0] = s30; c3[1] = s31; c3[2] = s32; c3[3] = s33;
    }
}
