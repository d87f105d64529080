// The register-blocked inner kernel contract: one Rows×Cols tile of C over a depth block.
// Sizes: Rows = MR rows of C held in registers, Cols = NR columns of C, kc = depth of the block.
namespace DistTrain.Core.Kernels;

internal unsafe interface IMicroTile
{
    /// <summary>MR: rows of C per tile.</summary>
    static abstract int Rows { get; }

    /// <summary>NR: columns of C per tile; packed B panels are this wide.</summary>
    static abstract int Cols { get; }

    /// <summary>
    /// C[MR×NR] = (load ? C : 0) + Σp A(r,p)·Bpanel[p×NR], one fused multiply-add per p in increasing p.
    /// A(r,p) is read at a[r·rowStride + p·depthStride]; the B panel is dense, NR floats per p.
    /// </summary>
    static abstract void Run(float* a, nint rowStride, nint depthStride, float* bPanel, int kc, float* c, nint ldc, bool load);
}
