// The register-blocked inner kernel contract: one tile of C, at most MR×NR, over a depth block.
// Sizes: MR = Rows, NR = Cols, kc = depth of the block; rows ≤ MR and cols ≤ NR are the tile's real size.
namespace DistTrain.Core.Kernels;

internal unsafe interface IMicroTile
{
    /// <summary>MR: most rows of C per tile.</summary>
    static abstract int Rows { get; }

    /// <summary>NR: most columns of C per tile.</summary>
    static abstract int Cols { get; }

    /// <summary>Width of the packed B panel (floats per depth step) for a tile with this many columns.</summary>
    static abstract int PanelWidth(int cols);

    /// <summary>
    /// C[rows×cols] = (load ? C : 0) + Σp A(r,p)·Bpanel(p,j), one fused multiply-add per p in increasing p.
    /// A(r,p) is read at a[r·rowStride + p·depthStride] for r &lt; rows only; the B panel is dense,
    /// PanelWidth(cols) floats per p, zero beyond cols. Rows and columns beyond the tile are not touched.
    /// </summary>
    static abstract void Run(float* a, nint rowStride, nint depthStride, float* bPanel, int kc, float* c, nint ldc, int rows, int cols, bool load);
}
