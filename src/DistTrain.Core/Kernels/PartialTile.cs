// Partial tiles for the fixed-shape kernels: the kernel works on a private, zero-padded copy of the
// tile of C, so it never writes outside C and computes the real elements exactly as in a full tile.
// Sizes: rows×cols the real tile, MR×NR the kernel's tile.
namespace DistTrain.Core.Kernels;

internal static unsafe class PartialTile
{
    /// <summary>tile[MR×NR] = 0, then the real rows×cols of C when the kernel will load them.</summary>
    public static void Prepare(float* c, nint ldc, int rows, int cols, bool load, float* tile, int mr, int nr)
    {
        new Span<float>(tile, mr * nr).Clear();
        if (!load)
        {
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(c + r * ldc, cols).CopyTo(new Span<float>(tile + r * nr, cols));
        }
    }

    /// <summary>Copies the real rows×cols of the tile back into C.</summary>
    public static void Finish(float* tile, int nr, float* c, nint ldc, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(tile + r * nr, cols).CopyTo(new Span<float>(c + r * ldc, cols));
        }
    }
}
