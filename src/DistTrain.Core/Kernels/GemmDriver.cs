// The blocked loops around a micro-tile: cut K into fixed depth blocks, pack B panels, sweep A strips.
// Sizes: M rows of C, N columns of C, K depth; MR×NR is the micro-tile, kc the depth block.
// Determinism: every C element is the same chain of fused multiply-adds in increasing p, whichever
// thread computes its tile and whatever the tile's size, because the depth blocks depend on K only.
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

        float* panel = GemmScratch.Current.Panel;
        int depthBlock = GemmBlocking.DepthBlock(k);
        for (int p0 = 0; p0 < k; p0 += depthBlock)
        {
            int kc = Math.Min(depthBlock, k - p0);
            bool load = problem.Accumulate || p0 > 0;
            for (int pj = firstPanel; pj < endPanel; pj++)
            {
                int j0 = pj * nr;
                int cols = Math.Min(nr, n - j0);
                int width = TTile.PanelWidth(cols);
                float* bBlock = problem.B + p0 * problem.BDepthStride + j0 * problem.BColumnStride;
                if (problem.BColumnStride == 1)
                {
                    GemmPacking.PackRows(bBlock, problem.BDepthStride, kc, cols, width, panel);
                }
                else
                {
                    GemmPacking.PackColumns(bBlock, problem.BColumnStride, kc, cols, width, panel);
                }

                float* a = problem.A + firstStrip * mr * problem.ARowStride + p0 * problem.ADepthStride;
                float* c = problem.C + (nint)firstStrip * mr * n + j0;
                for (int si = firstStrip; si < endStrip; si++)
                {
                    int rows = Math.Min(mr, m - si * mr);
                    TTile.Run(a, problem.ARowStride, problem.ADepthStride, panel, kc, c, n, rows, cols, load);
                    a += mr * problem.ARowStride;
                    c += (nint)mr * n;
                }
            }
        }
    }
}
