using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace DistTrain.Rpc.Tensors;

/// <summary>
/// Pooled arrays for the tensor bytes of received messages. Protobuf's parser gives every
/// <c>bytes</c> field a fresh zeroed array; at about 1 MB each, several hundred a second, those
/// land on the large-object heap and cost zeroing, page faults and full collections.
/// </summary>
public static class TensorBuffers
{
    /// <summary>Copies <paramref name="source"/> into a rented array (not zeroed first).</summary>
    internal static ByteString Rent(ReadOnlySequence<byte> source)
    {
        if (source.IsEmpty)
        {
            return ByteString.Empty;
        }
        var length = checked((int)source.Length);
        // One spare byte at least: a pooled array is always longer than its bytes, which is how
        // Return tells it from protobuf's own arrays (exactly their length).
        var array = ArrayPool<byte>.Shared.Rent(length + 1);
        source.CopyTo(array);
        return UnsafeByteOperations.UnsafeWrap(array.AsMemory(0, length));
    }

    /// <summary>
    /// Gives a received tensor's array back to the pool once its bytes have been decoded; neither
    /// the ByteString nor the message holding it may be read afterwards. Bytes that did not come
    /// from the pool (protobuf's own arrays are exactly their length) are left to the collector.
    /// </summary>
    public static void Return(ByteString bytes)
    {
        if (MemoryMarshal.TryGetArray(bytes.Memory, out var segment)
            && segment.Array is { } array
            && segment.Offset == 0
            && array.Length > segment.Count
            && BitOperations.IsPow2(array.Length))
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
