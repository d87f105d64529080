using System.Buffers;
using System.Runtime.InteropServices;

namespace DistTrain.Training.Protocol;

/// <summary>
/// The bytes of a float array as <see cref="Memory{T}"/> (little-endian hosts), so fp32 weights
/// go to the socket straight from the parameter array instead of through a copy.
/// </summary>
internal sealed class FloatArrayBytes(float[] array, int start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(array.AsSpan(start, length));

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length * sizeof(float));
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        var first = (byte*)handle.AddrOfPinnedObject() + (long)start * sizeof(float);
        return new MemoryHandle(first + elementIndex, handle, this);
    }

    public override void Unpin()
    {
        // The GCHandle travels in the MemoryHandle, whose Dispose frees it.
    }

    protected override void Dispose(bool disposing)
    {
        // Nothing owned: the array belongs to the caller.
    }
}
