// How the depth dimension K is cut into blocks. The cut depends on K alone, never on the thread count,
// so every element of C is reduced in the same order however the tiles are shared out.
namespace DistTrain.Core.Kernels;

internal static class GemmBlocking
{
    /// <summary>Largest depth block: keeps a packed B panel (depth × NR) within the first-level cache.</summary>
    public const int MaxDepth = 256;

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
