namespace DistTrain.Transport.Buffers;

/// <summary>
/// Implemented by a <see cref="Grpc.Core.SerializationContext"/> that can take the last bytes of a
/// payload by reference and write them to the socket from their own memory (a gathered write),
/// instead of having them copied into its buffer writer. A marshaller calls
/// <see cref="Grpc.Core.SerializationContext.SetPayloadLength"/> first (the whole payload, tail
/// included), writes the head to <see cref="Grpc.Core.SerializationContext.GetBufferWriter"/>,
/// then calls <see cref="CompleteWithTail"/> instead of Complete. The tail must stay unchanged
/// until the call's write has returned.
/// </summary>
public interface ISerializationTail
{
    void CompleteWithTail(ReadOnlyMemory<byte> tail);
}
