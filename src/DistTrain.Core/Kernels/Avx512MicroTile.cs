// Register tiles of up to 8×32 with 512-bit fused multiply-adds: up to 16 accumulators, 2 B vectors,
// 1 broadcast of A. Every tile shape has its own compiled loop (rows 1-8, one or two vectors wide), so
// partial tiles at the edges of C waste no arithmetic; C is read and written through lane masks.
// Sizes: MR = 8 rows of C, NR = 32 columns of C (two vectors of 16), kc = depth of the block.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

internal readonly unsafe struct Avx512MicroTile : IMicroTile
{
    public static int Rows => 8;

    public static int Cols => 32;

    public static int PanelWidth(int cols) => cols <= 16 ? 16 : 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* a, nint rowStride, nint depthStride, float* bPanel, int kc, float* c, nint ldc, int rows, int cols, bool load)
    {
        if (cols > 16)
        {
            switch (rows)
            {
                case 8: Tile<Count8, Count2>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 7: Tile<Count7, Count2>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 6: Tile<Count6, Count2>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 5: Tile<Count5, Count2>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 4: Tile<Count4, Count2>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 3: Tile<Count3, Count2>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 2: Tile<Count2, Count2>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                default: Tile<Count1, Count2>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
            }
        }
        else
        {
            switch (rows)
            {
                case 8: Tile<Count8, Count1>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 7: Tile<Count7, Count1>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 6: Tile<Count6, Count1>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 5: Tile<Count5, Count1>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 4: Tile<Count4, Count1>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 3: Tile<Count3, Count1>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                case 2: Tile<Count2, Count1>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
                default: Tile<Count1, Count1>(a, rowStride, depthStride, bPanel, kc, c, ldc, cols, load); break;
            }
        }
    }

    // R rows by W vectors. The R and W tests fold away when each instantiation is compiled.
    // Not inlined: the loop needs all 32 vector registers to itself.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile<R, W>(float* a, nint rowStride, nint depthStride, float* bPanel, int kc, float* c, nint ldc, int cols, bool load)
        where R : struct, ICount
        where W : struct, ICount
    {
        // Lane masks for the first and second vector of each row of C.
        var lanes = Vector512<int>.Indices;
        var mask0 = Vector512.LessThan(lanes, Vector512.Create(cols)).AsSingle();
        var mask1 = Vector512.LessThan(lanes, Vector512.Create(cols - 16)).AsSingle();

        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        if (load)
        {
            Load<W>(c, mask0, mask1, ref c00, ref c01);
            if (R.Value > 1) { Load<W>(c + ldc, mask0, mask1, ref c10, ref c11); }
            if (R.Value > 2) { Load<W>(c + 2 * ldc, mask0, mask1, ref c20, ref c21); }
            if (R.Value > 3) { Load<W>(c + 3 * ldc, mask0, mask1, ref c30, ref c31); }
            if (R.Value > 4) { Load<W>(c + 4 * ldc, mask0, mask1, ref c40, ref c41); }
            if (R.Value > 5) { Load<W>(c + 5 * ldc, mask0, mask1, ref c50, ref c51); }
            if (R.Value > 6) { Load<W>(c + 6 * ldc, mask0, mask1, ref c60, ref c61); }
            if (R.Value > 7) { Load<W>(c + 7 * ldc, mask0, mask1, ref c70, ref c71); }
        }

        // One pointer per row and a shared offset serve both row-major and depth-major A.
        float* a0 = a, a1 = a + rowStride, a2 = a + 2 * rowStride, a3 = a + 3 * rowStride;
        float* a4 = a + 4 * rowStride, a5 = a + 5 * rowStride, a6 = a + 6 * rowStride, a7 = a + 7 * rowStride;
        nint offset = 0;
        int step = 16 * W.Value;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bPanel);
            var b1 = W.Value > 1 ? Vector512.Load(bPanel + 16) : default;
            var x = Vector512.Create(a0[offset]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            if (W.Value > 1) { c01 = Vector512.FusedMultiplyAdd(x, b1, c01); }
            if (R.Value > 1)
            {
                x = Vector512.Create(a1[offset]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
                if (W.Value > 1) { c11 = Vector512.FusedMultiplyAdd(x, b1, c11); }
            }
            if (R.Value > 2)
            {
                x = Vector512.Create(a2[offset]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
                if (W.Value > 1) { c21 = Vector512.FusedMultiplyAdd(x, b1, c21); }
            }
            if (R.Value > 3)
            {
                x = Vector512.Create(a3[offset]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
                if (W.Value > 1) { c31 = Vector512.FusedMultiplyAdd(x, b1, c31); }
            }
            if (R.Value > 4)
            {
                x = Vector512.Create(a4[offset]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
                if (W.Value > 1) { c41 = Vector512.FusedMultiplyAdd(x, b1, c41); }
            }
            if (R.Value > 5)
            {
                x = Vector512.Create(a5[offset]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
                if (W.Value > 1) { c51 = Vector512.FusedMultiplyAdd(x, b1, c51); }
            }
            if (R.Value > 6)
            {
                x = Vector512.Create(a6[offset]);
                c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
                if (W.Value > 1) { c61 = Vector512.FusedMultiplyAdd(x, b1, c61); }
            }
            if (R.Value > 7)
            {
                x = Vector512.Create(a7[offset]);
                c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
                if (W.Value > 1) { c71 = Vector512.FusedMultiplyAdd(x, b1, c71); }
            }
            offset += depthStride;
            bPanel += step;
        }

        Store<W>(c, mask0, mask1, c00, c01);
        if (R.Value > 1) { Store<W>(c + ldc, mask0, mask1, c10, c11); }
        if (R.Value > 2) { Store<W>(c + 2 * ldc, mask0, mask1, c20, c21); }
        if (R.Value > 3) { Store<W>(c + 3 * ldc, mask0, mask1, c30, c31); }
        if (R.Value > 4) { Store<W>(c + 4 * ldc, mask0, mask1, c40, c41); }
        if (R.Value > 5) { Store<W>(c + 5 * ldc, mask0, mask1, c50, c51); }
        if (R.Value > 6) { Store<W>(c + 6 * ldc, mask0, mask1, c60, c61); }
        if (R.Value > 7) { Store<W>(c + 7 * ldc, mask0, mask1, c70, c71); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load<W>(float* row, Vector512<float> mask0, Vector512<float> mask1, ref Vector512<float> v0, ref Vector512<float> v1)
        where W : struct, ICount
    {
        v0 = Avx512F.MaskLoad(row, mask0, Vector512<float>.Zero);
        if (W.Value > 1)
        {
            v1 = Avx512F.MaskLoad(row + 16, mask1, Vector512<float>.Zero);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<W>(float* row, Vector512<float> mask0, Vector512<float> mask1, Vector512<float> v0, Vector512<float> v1)
        where W : struct, ICount
    {
        Avx512F.MaskStore(row, mask0, v0);
        if (W.Value > 1)
        {
            Avx512F.MaskStore(row + 16, mask1, v1);
        }
    }
}
