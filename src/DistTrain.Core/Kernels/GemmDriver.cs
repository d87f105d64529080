// The blocked loops around a micro-tile: cut K into fixed depth blocks, pack B panels, sweep A strips.
// Sizes: M rows of C, N columns of C, K depth; MR×NR is the micro-tile, kc the depth block.
// Determinism: every C element is the same chain of fused multiply-adds in increasing p, whichever
// thread computes its tile, because the depth blocks depend on K only and padded lanes are discarded.
using System.Runtime.CompilerServices;

namespace DistTrain.Core.Kernels;

internal static unsafe class GemmDriver<TTile>
    where TTile : struct, IMicroTile
{
    /// <summary>How many shares the product can be split into without leaving a share empty.</summary>
    public static int MaxShares(int m, int n)
    {
        int strips = (m + TTile.Rows - 1) / TTile.Rows;
        int panels = (n + TTile.Cols - 1) / TTile.Cols;
        return Math.Max(strips, panels);
    }

    /// <summary>Computes share `share` of `shares`: a range of column panels, or of row strips when panels are too few.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunShare(in GemmProblem problem, int share, int shares)
    {
        int mr = TTile.Rows;
        int nr = TTile.Cols;
        int m = problem.M;
        int n = problem.N;
        int k = problem.K;
        int strips = (m + mr - 1) / mr;
        int panels = (n + nr - 1) / nr;
        int firstStrip = 0, endStrip = strips, firstPanel = 0, endPanel = panels;
        if (panels >= shares)
        {
            firstPanel = (int)((long)panels * share / shares);
            endPanel = (int)((long)panels * (share + 1) / shares);
        }
        else
        {
            firstStrip = (int)((long)strips * share / shares);
            endStrip = (int)((long)strips * (share + 1) / shares);
        }
        if (firstStrip >= endStrip || firstPanel >= endPanel)
        {
            return;
        }

        var scratch = GemmScratch.Current;
        float* panel = scratch.Panel;
        float* strip = scratch.Strip;
        float* tile = scratch.Tile;
        int lastRows = m - (strips - 1) * mr;
        bool ownsPartialStrip = endStrip == strips && lastRows < mr;
        int depthBlock = GemmBlocking.DepthBlock(k);

        for (int p0 = 0; p0 < k; p0 += depthBlock)
        {
            int kc = Math.Min(depthBlock, k - p0);
            bool load = problem.Accumulate || p0 > 0;
            if (ownsPartialStrip)
            {
                float* aLast = problem.A + (strips - 1) * mr * problem.ARowStride + p0 * problem.ADepthStride;
                GemmPacking.PackStrip(aLast, problem.ARowStride, problem.ADepthStride, lastRows, kc, mr, strip);
            }

            for (int pj = firstPanel; pj < endPanel; pj++)
            {
                int j0 = pj * nr;
                int cols = Math.Min(nr, n - j0);
                float* bBlock = problem.B + p0 * problem.BDepthStride + j0 * problem.BColumnStride;
                if (problem.BColumnStride == 1)
                {
                    GemmPacking.PackRows(bBlock, problem.BDepthStride, kc, cols, nr, panel);
                }
                else
                {
                    GemmPacking.PackColumns(bBlock, problem.BColumnStride, kc, cols, nr, panel);
                }

                for (int si = firstStrip; si < endStrip; si++)
                {
                    int i0 = si * mr;
                    int rows = Math.Min(mr, m - i0);
                    float* c = problem.C + (nint)i0 * n + j0;
                    if (rows == mr)
                    {
                        float* a = problem.A + i0 * problem.ARowStride + p0 * problem.ADepthStride;
                        if (cols == nr)
                        {
                            TTile.Run(a, problem.ARowStride, problem.ADepthStride, panel, kc, c, n, load);
                        }
                        else
                        {
                            RunEdge(a, problem.ARowStride, problem.ADepthStride, panel, kc, c, n, rows, cols, load, tile);
                        }
                    }
                    else
                    {
                        RunEdge(strip, 1, mr, panel, kc, c, n, rows, cols, load, tile);
                    }
                }
            }
        }
    }

    // A partial tile runs the full micro-tile on a private copy of C, so its arithmetic matches full tiles.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunEdge(float* a, nint rowStride, nint depthStride, float* panel, int kc, float* c, nint ldc, int rows, int cols, bool load, float* tile)
    {
        int mr = TTile.Rows;
        int nr = TTile.Cols;
        if (load)
        {
            // Zero first: padded lanes must not carry stale values that could be slow subnormals.
            new Span<float>(tile, mr * nr).Clear();
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < cols; j++)
                {
                    tile[r * nr + j] = c[r * ldc + j];
                }
            }
        }
        TTile.Run(a, rowStride, depthStride, panel, kc, tile, nr, load);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < cols; j++)
            {
                c[r * ldc + j] = tile[r * nr + j];
            }
        }
    }
}
