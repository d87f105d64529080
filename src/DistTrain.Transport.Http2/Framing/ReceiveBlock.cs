using System.Buffers;
using System.Runtime.InteropServices;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// One block of a stream's inbound pipe: an array rented from <see cref="ArrayPool{T}.Shared"/>
/// that the pipe and the received tensors pointing into it share (see Tensors/TensorLease). The
/// pipe holds one reference, each tensor one more; the array goes back to the pool when the last
/// is released, never earlier and only once.
/// </summary>
internal sealed class ReceiveBlock : MemoryManager<byte>
{
    private readonly ReceiveBlockPool _pool;
    private byte[]? _array;
    private int _references = 1; // the pipe's
    private int _pipeReleased;

    public ReceiveBlock(ReceiveBlockPool pool, int minimumLength)
    {
        _pool = pool;
        _array = ArrayPool<byte>.Shared.Rent(minimumLength);
    }

    public override Span<byte> GetSpan() => _array ?? throw new ObjectDisposedException(nameof(ReceiveBlock));

    /// <summary>Another reference; false once the array has gone back to the pool.</summary>
    public bool TryRetain()
    {
        var count = Volatile.Read(ref _references);
        while (count > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, count + 1, count);
            if (seen == count)
            {
                return true;
            }
            count = seen;
        }
        return false;
    }

    /// <summary>Drops one reference; the last one gives the array back to the pool.</summary>
    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left > 0)
        {
            return;
        }
        if (left < 0)
        {
            // Every holder releases at most once, so this is a bug; the array is already back in the pool.
            throw new InvalidOperationException("A receive block was released more often than it was held.");
        }
        var array = _array!;
        _array = null;
        ArrayPool<byte>.Shared.Return(array);
        _pool.OnReturned();
    }

    // A pinned block keeps a reference, so its array stays out of the pool until unpinned.
    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        if (!TryRetain())
        {
            throw new ObjectDisposedException(nameof(ReceiveBlock));
        }
        var array = _array!;
        if ((uint)elementIndex > (uint)array.Length)
        {
            Release();
            throw new ArgumentOutOfRangeException(nameof(elementIndex));
        }
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle, this);
    }

    public override void Unpin() => Release();

    // The pipe disposes a block once its reader has consumed past it, or when both its ends have completed.
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _pipeReleased, 1) == 0)
        {
            Release();
        }
    }
}
