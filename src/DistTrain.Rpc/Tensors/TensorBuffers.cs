using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace DistTrain.Rpc.Tensors;

/// <summary>
/// Where the tensor bytes of received messages live. Protobuf's parser gives every <c>bytes</c>
/// field a fresh zeroed array; at about 1 MB each, several hundred a second, those land on the
/// large-object heap and cost zeroing, page faults and full collections. A tensor that arrived in
/// one block of its stream's inbound buffer stays there (a <see cref="TensorLease"/> on the
/// block); any other is copied into a pooled array.
/// </summary>
public static class TensorBuffers
{
    // Smaller tensors are copied: the copy costs little, and a lease would keep the whole block
    // (up to a few MB) from the pool for a few bytes.
    internal const int MinimumLeasedBytes = 64 * 1024;

    /// <summary>The bytes of <paramref name="source"/> in place when it lies in one receive block, else a copy in a rented array (not zeroed first).</summary>
    internal static ByteString Rent(ReadOnlySequence<byte> source)
    {
        if (source.IsEmpty)
        {
            return ByteString.Empty;
        }
        if (source.Length >= MinimumLeasedBytes && TensorLease.TryWrap(source, out var leased))
        {
            return leased;
        }
        var length = checked((int)source.Length);
        // One spare byte at least: a pooled array is always longer than its bytes, which is how
        // Return tells it from protobuf's own arrays (exactly their length).
        var array = ArrayPool<byte>.Shared.Rent(length + 1);
        source.CopyTo(array);
        return UnsafeByteOperations.UnsafeWrap(array.AsMemory(0, length));
    }

    /// <summary>
    /// Gives a received tensor's memory back once its bytes have been decoded or used; neither the
    /// ByteString nor the message holding it may be read afterwards. A tensor left in its receive
    /// block releases the block (a second call does nothing); a copy's array goes back to the pool.
    /// Bytes that did not come from the pool (protobuf's own arrays are exactly their length) are
    /// left to the collector.
    /// </summary>
    public static void Return(ByteString bytes)
    {
        if (MemoryMarshal.TryGetMemoryManager(bytes.Memory, out TensorLease? lease))
        {
            lease.Release();
        }
        else if (MemoryMarshal.TryGetArray(bytes.Memory, out var segment)
            && segment.Array is { } array
            && segment.Offset == 0
            && array.Length > segment.Count
            && BitOperations.IsPow2(array.Length))
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
