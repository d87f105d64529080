using System.Buffers;

namespace DistTrain.Transport.Buffers;

/// <summary>
/// Implemented by a <see cref="Grpc.Core.DeserializationContext"/> whose payload lies in memory that
/// can be kept past the deserializer: a received tensor can then stay where the socket put it
/// instead of being copied out. Without it, a payload is valid only while the deserializer runs.
/// </summary>
public interface IPayloadRetention
{
    /// <summary>
    /// An owner that keeps <paramref name="slice"/> (a part of this payload) valid until it is
    /// disposed; null when the slice cannot be kept (the caller copies it).
    /// </summary>
    IMemoryOwner<byte>? TryRetain(ReadOnlySequence<byte> slice);
}
