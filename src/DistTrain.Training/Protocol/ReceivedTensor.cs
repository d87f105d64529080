using System.Buffers;
using System.Runtime.InteropServices;
using DistTrain.Transport.Buffers;
using Google.Protobuf;

namespace DistTrain.Training.Protocol;

/// <summary>
/// The bytes of one received tensor (weights or a gradient), with one owner and an explicit
/// release. Protobuf's parser would give every <c>bytes</c> field a fresh zeroed array; at about
/// 1 MB each, several hundred a second, those land on the large-object heap and cost zeroing,
/// page faults and full collections. Instead the tensor stays where the transport received it
/// when the transport can keep it (<see cref="IPayloadRetention"/>, the engine when the message
/// arrived in one block), or is copied once into a pooled array (any other transport).
/// The message's ByteString points into this memory; <see cref="Release(ByteString)"/> gives it
/// back once the bytes have been decoded or used, after which neither may be read.
/// </summary>
public sealed class ReceivedTensor : MemoryManager<byte>
{
    // Smaller tensors are copied: the copy costs little, and keeping a whole receive block
    // (up to a few MB) out of the pool for a few bytes would not pay.
    internal const int MinimumRetainedBytes = 64 * 1024;

    private readonly IMemoryOwner<byte>? _retained;
    private readonly int _length;
    private byte[]? _pooled;
    private int _released;

    private ReceivedTensor(IMemoryOwner<byte> retained, int length)
    {
        _retained = retained;
        _length = length;
    }

    private ReceivedTensor(byte[] pooled, int length)
    {
        _pooled = pooled;
        _length = length;
    }

    /// <summary>True when the bytes stayed where the transport received them (no copy).</summary>
    public bool IsRetained => _retained is not null;

    public bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>Takes <paramref name="source"/>, a slice of the payload being deserialized, as a ByteString this handle owns.</summary>
    public static ByteString Take(ReadOnlySequence<byte> source, IPayloadRetention? retention)
    {
        if (source.IsEmpty)
        {
            return ByteString.Empty;
        }
        var length = checked((int)source.Length);
        if (length >= MinimumRetainedBytes && retention?.TryRetain(source) is { } retained)
        {
            return UnsafeByteOperations.UnsafeWrap(new ReceivedTensor(retained, length).Memory);
        }
        var array = ArrayPool<byte>.Shared.Rent(length);
        source.CopyTo(array);
        return UnsafeByteOperations.UnsafeWrap(new ReceivedTensor(array, length).Memory);
    }

    /// <summary>The handle behind <paramref name="bytes"/>, or null when they are not a received tensor.</summary>
    public static ReceivedTensor? Of(ByteString bytes) =>
        MemoryMarshal.TryGetMemoryManager(bytes.Memory, out ReceivedTensor? tensor) ? tensor : null;

    /// <summary>Releases the received tensor behind <paramref name="bytes"/>; other ByteStrings are left alone. A second call does nothing.</summary>
    public static void Release(ByteString bytes) => Of(bytes)?.Release();

    public void Release() => ((IDisposable)this).Dispose();

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        return _retained is not null ? _retained.Memory.Span[.._length] : _pooled.AsSpan(0, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length, nameof(elementIndex));
        return _retained is not null ? _retained.Memory[elementIndex..].Pin() : _pooled.AsMemory(elementIndex).Pin();
    }

    public override void Unpin()
    {
        // The handles Pin returns unpin themselves.
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }
        _retained?.Dispose();
        if (_pooled is { } array)
        {
            _pooled = null;
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
