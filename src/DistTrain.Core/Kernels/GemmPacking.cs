// Copies operand blocks into the dense layouts the micro-tiles stream through.
// Sizes: kc = depth of the block, NR = panel width (columns of B).
// Padding lanes are zero so they contribute nothing and never hold stale special values.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

internal static unsafe class GemmPacking
{
    /// <summary>panel[p·NR + j] = B(p, j) for j &lt; cols, 0 beyond; B rows are contiguous (column stride 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackRows(float* b, nint depthStride, int kc, int cols, int nr, float* panel)
    {
        if (cols == nr)
        {
            uint bytes = (uint)(nr * sizeof(float));
            for (int p = 0; p < kc; p++)
            {
                Unsafe.CopyBlockUnaligned(panel + p * nr, b + p * depthStride, bytes);
            }
            return;
        }
        for (int p = 0; p < kc; p++)
        {
            float* src = b + p * depthStride;
            float* dst = panel + p * nr;
            int j = 0;
            for (; j < cols; j++)
            {
                dst[j] = src[j];
            }
            for (; j < nr; j++)
            {
                dst[j] = 0f;
            }
        }
    }

    /// <summary>panel[p·NR + j] = B(p, j) for j &lt; cols, 0 beyond; B columns are contiguous (depth stride 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackColumns(float* b, nint columnStride, int kc, int cols, int nr, float* panel)
    {
        int done = 0;
        if (Avx512F.IsSupported && nr % 16 == 0)
        {
            // A transpose, 16×16 blocks at a time in registers; the scalar loop below finishes the depth tail.
            done = kc & ~15;
            for (int j0 = 0; j0 < nr; j0 += 16)
            {
                for (int p0 = 0; p0 < done; p0 += 16)
                {
                    Transpose16x16(b + j0 * columnStride + p0, columnStride, Math.Min(16, cols - j0), panel + p0 * nr + j0, nr);
                }
            }
        }
        for (int p = done; p < kc; p++)
        {
            float* dst = panel + p * nr;
            int j = 0;
            for (; j < cols; j++)
            {
                dst[j] = b[j * columnStride + p];
            }
            for (; j < nr; j++)
            {
                dst[j] = 0f;
            }
        }
    }

    // dst[c·ldd + r] = src[r·lds + c] for r < rows (rows ≤ 0 gives zeros), 0 for r ≥ rows; c, r < 16.
    // Four shuffle stages: 32-bit and 64-bit interleaves within 128-bit lanes, then two 128-bit lane shuffles.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose16x16(float* src, nint lds, int rows, float* dst, nint ldd)
    {
        var r0 = LoadRow(src, lds, 0, rows); var r1 = LoadRow(src, lds, 1, rows);
        var r2 = LoadRow(src, lds, 2, rows); var r3 = LoadRow(src, lds, 3, rows);
        var r4 = LoadRow(src, lds, 4, rows); var r5 = LoadRow(src, lds, 5, rows);
        var r6 = LoadRow(src, lds, 6, rows); var r7 = LoadRow(src, lds, 7, rows);
        var r8 = LoadRow(src, lds, 8, rows); var r9 = LoadRow(src, lds, 9, rows);
        var r10 = LoadRow(src, lds, 10, rows); var r11 = LoadRow(src, lds, 11, rows);
        var r12 = LoadRow(src, lds, 12, rows); var r13 = LoadRow(src, lds, 13, rows);
        var r14 = LoadRow(src, lds, 14, rows); var r15 = LoadRow(src, lds, 15, rows);

        // Stage 1: lane L of t(2g) = [r(2g)[4L], r(2g+1)[4L], r(2g)[4L+1], r(2g+1)[4L+1]], t(2g+1) the upper pair.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);

        // Stage 2: lane L of u(4g+e) = column 4L+e of rows 4g..4g+3.
        var u0 = UnpackLow64(t0, t2); var u1 = UnpackHigh64(t0, t2); var u2 = UnpackLow64(t1, t3); var u3 = UnpackHigh64(t1, t3);
        var u4 = UnpackLow64(t4, t6); var u5 = UnpackHigh64(t4, t6); var u6 = UnpackLow64(t5, t7); var u7 = UnpackHigh64(t5, t7);
        var u8 = UnpackLow64(t8, t10); var u9 = UnpackHigh64(t8, t10); var u10 = UnpackLow64(t9, t11); var u11 = UnpackHigh64(t9, t11);
        var u12 = UnpackLow64(t12, t14); var u13 = UnpackHigh64(t12, t14); var u14 = UnpackLow64(t13, t15); var u15 = UnpackHigh64(t13, t15);

        // Stages 3 and 4 gather lane L of u(e), u(4+e), u(8+e), u(12+e) into output column 4L+e.
        StoreColumns(u0, u4, u8, u12, dst, ldd, 0);
        StoreColumns(u1, u5, u9, u13, dst, ldd, 1);
        StoreColumns(u2, u6, u10, u14, dst, ldd, 2);
        StoreColumns(u3, u7, u11, u15, dst, ldd, 3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadRow(float* src, nint lds, int r, int rows)
        => r < rows ? Vector512.Load(src + r * lds) : Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackLow64(Vector512<float> x, Vector512<float> y)
        => Avx512F.UnpackLow(x.AsDouble(), y.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackHigh64(Vector512<float> x, Vector512<float> y)
        => Avx512F.UnpackHigh(x.AsDouble(), y.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3, float* dst, nint ldd, int e)
    {
        // 0x88 picks lanes 0 and 2 of each source, 0xDD lanes 1 and 3.
        var even01 = Avx512F.Shuffle4x128(g0, g1, 0x88);
        var odd01 = Avx512F.Shuffle4x128(g0, g1, 0xDD);
        var even23 = Avx512F.Shuffle4x128(g2, g3, 0x88);
        var odd23 = Avx512F.Shuffle4x128(g2, g3, 0xDD);
        Avx512F.Shuffle4x128(even01, even23, 0x88).Store(dst + e * ldd);
        Avx512F.Shuffle4x128(odd01, odd23, 0x88).Store(dst + (4 + e) * ldd);
        Avx512F.Shuffle4x128(even01, even23, 0xDD).Store(dst + (8 + e) * ldd);
        Avx512F.Shuffle4x128(odd01, odd23, 0xDD).Store(dst + (12 + e) * ldd);
    }
}
