using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using DistTrain.Rpc.Http2;
using Google.Protobuf;

namespace DistTrain.Rpc.Tensors;

/// <summary>
/// A received tensor's bytes left where they arrived, in a block of its stream's inbound buffer.
/// Holds one reference to the block until <see cref="TensorBuffers.Return"/> releases it, once
/// however often it is called; the bytes cannot be read after that (the block may hold another
/// message's by then), which throws instead.
/// </summary>
internal sealed class TensorLease : MemoryManager<byte>
{
    private readonly ReceiveBlock _block;
    private readonly int _start;
    private readonly int _length;
    private int _released;

    private TensorLease(ReceiveBlock block, int start, int length)
    {
        _block = block;
        _start = start;
        _length = length;
    }

    /// <summary>The bytes in place when they lie in one live receive block; false otherwise (the caller copies).</summary>
    public static bool TryWrap(ReadOnlySequence<byte> source, [NotNullWhen(true)] out ByteString? bytes)
    {
        bytes = null;
        if (!source.IsSingleSegment
            || !MemoryMarshal.TryGetMemoryManager(source.First, out ReceiveBlock? block, out var start, out var length)
            || !block.TryRetain())
        {
            return false;
        }
        bytes = UnsafeByteOperations.UnsafeWrap(new TensorLease(block, start, length).Memory);
        return true;
    }

    public bool Released => Volatile.Read(ref _released) != 0;

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(Released, this);
        return _block.GetSpan().Slice(_start, _length);
    }

    /// <summary>Gives the block reference back; later calls do nothing.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _block.Release();
        }
    }

    // The block's handle holds a reference of its own until it is disposed.
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(Released, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length, nameof(elementIndex));
        return _block.Pin(_start + elementIndex);
    }

    public override void Unpin()
    {
        // Not reached: the handle Pin returns unpins the block.
    }

    protected override void Dispose(bool disposing) => Release();
}
