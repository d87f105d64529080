// How the depth dimension K is cut into blocks. The cut depends on K alone, never on the thread count,
// so every element of C is reduced in the same order however the tiles are shared out.
namespace DistTrain.Core.Kernels;

internal static class GemmBlocking
{
    /// <summary>
    /// Largest depth block. A packed B panel (depth × NR, 100 KB at most) stays in the second-level cache,
    /// which feeds the tiles fast enough; measured, whole 784-wide images in one block beat cutting them.
    /// </summary>
    public const int MaxDepth = 800;

    /// <summary>The depth of each block for a reduction of length k: equal blocks of at most MaxDepth.</summary>
    public static int DepthBlock(int k)
    {
        if (k <= MaxDepth)
        {
            return k;
        }
        int blocks = (k + MaxDepth - 1) / MaxDepth;
        return (k + blocks - 1) / blocks;
    }
}
