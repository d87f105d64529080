using System.Buffers;
using DistTrain.Transport.Buffers;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// The <see cref="DeserializationContext"/> of one received message: its payload where the
/// socket put it, valid while the deserializer runs. Parts of it can be kept longer
/// (<see cref="IPayloadRetention"/>) when they lie in one receive block.
/// </summary>
internal sealed class IncomingMessage : DeserializationContext, IPayloadRetention
{
    private ReadOnlySequence<byte> _payload;

    public override int PayloadLength => (int)_payload.Length;

    public void Reset(ReadOnlySequence<byte> payload) => _payload = payload;

    public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => _payload;

    public override byte[] PayloadAsNewBuffer() => _payload.ToArray();

    public IMemoryOwner<byte>? TryRetain(ReadOnlySequence<byte> slice) => RetainedBlock.TryRetain(slice);
}
