// Per-thread packing buffers, allocated once per thread and pinned so the hot path never allocates.
using System.Runtime.CompilerServices;

namespace DistTrain.Core.Kernels;

internal sealed unsafe class GemmScratch
{
    private const int MaxRows = 8;
    private const int MaxCols = 32;
    private const int Alignment = 64;

    [ThreadStatic]
    private static GemmScratch? t_current;

    // Kept referenced so the pinned storage lives as long as the pointers into it.
    private readonly float[] _storage;

    private GemmScratch()
    {
        int panel = GemmBlocking.MaxDepth * MaxCols;
        int strip = GemmBlocking.MaxDepth * MaxRows;
        int tile = MaxRows * MaxCols;
        _storage = GC.AllocateArray<float>(panel + strip + tile + Alignment / sizeof(float), pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref _storage[0]);
        float* aligned = (float*)((start + Alignment - 1) & ~(nint)(Alignment - 1));
        Panel = aligned;
        Strip = aligned + panel;
        Tile = aligned + panel + strip;
    }

    /// <summary>A packed B panel: MaxDepth × NR.</summary>
    public float* Panel { get; }

    /// <summary>A packed partial A strip: MaxDepth × MR.</summary>
    public float* Strip { get; }

    /// <summary>A C tile for edges: MR × NR.</summary>
    public float* Tile { get; }

    public static GemmScratch Current => t_current ??= new GemmScratch();
}
