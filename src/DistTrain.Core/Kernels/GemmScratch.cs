// Per-thread packing buffer, allocated once per thread and pinned so the hot path never allocates.
using System.Runtime.CompilerServices;

namespace DistTrain.Core.Kernels;

internal sealed unsafe class GemmScratch
{
    private const int MaxCols = 32;
    private const int Alignment = 64;

    [ThreadStatic]
    private static GemmScratch? t_current;

    // Kept referenced so the pinned storage lives as long as the pointers into it.
    private readonly float[] _storage;

    private GemmScratch()
    {
        _storage = GC.AllocateArray<float>(GemmBlocking.MaxDepth * MaxCols + Alignment / sizeof(float), pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref _storage[0]);
        Panel = (float*)((start + Alignment - 1) & ~(nint)(Alignment - 1));
    }

    /// <summary>A packed B panel: MaxDepth × NR, aligned to a cache line.</summary>
    public float* Panel { get; }

    public static GemmScratch Current => t_current ??= new GemmScratch();
}
