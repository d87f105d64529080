using System.Buffers;
using System.Runtime.InteropServices;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// Received bytes kept where they arrived, in a block of their stream's inbound buffer, past the
/// deserializer (see <see cref="Buffers.IPayloadRetention"/>). Holds one reference to the block
/// until disposed, once however often Dispose is called; the bytes cannot be read after that
/// (the block may hold another message's by then), which throws instead.
/// </summary>
internal sealed class RetainedBlock : MemoryManager<byte>
{
    private readonly ReceiveBlock _block;
    private readonly int _start;
    private readonly int _length;
    private int _released;

    private RetainedBlock(ReceiveBlock block, int start, int length)
    {
        _block = block;
        _start = start;
        _length = length;
    }

    /// <summary>The bytes in place when they lie in one live receive block; null otherwise (the caller copies).</summary>
    public static RetainedBlock? TryRetain(ReadOnlySequence<byte> source)
    {
        if (!source.IsSingleSegment
            || !MemoryMarshal.TryGetMemoryManager(source.First, out ReceiveBlock? block, out var start, out var length)
            || !block.TryRetain())
        {
            return null;
        }
        return new RetainedBlock(block, start, length);
    }

    public bool Released => Volatile.Read(ref _released) != 0;

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(Released, this);
        return _block.GetSpan().Slice(_start, _length);
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

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _block.Release();
        }
    }
}
