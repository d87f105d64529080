using DistTrain.Training.Protocol.V1;
using DistTrain.Transport.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Training.Protocol;

/// <summary>
/// The disttrain.v1.Trainer service (protos/disttrain/v1/training.proto) as Grpc.Core.Api method
/// definitions, with marshallers that keep tensor bytes from being copied around: on send the
/// tensor is never serialized through an intermediate array, on receive it becomes a
/// <see cref="ReceivedTensor"/>. Every other message goes through protobuf as generated code would.
/// </summary>
public static class TrainerMethods
{
    public const string ServiceName = "disttrain.v1.Trainer";

    public static readonly Marshaller<WorkerMessage> WorkerMessages = Marshallers.Create<WorkerMessage>(
        Serialize,
        context => TensorMessageReaders.ReadWorkerMessage(context.PayloadAsReadOnlySequence(), context as IPayloadRetention));

    public static readonly Marshaller<CoordinatorMessage> CoordinatorMessages = Marshallers.Create<CoordinatorMessage>(
        Serialize,
        context => TensorMessageReaders.ReadCoordinatorMessage(context.PayloadAsReadOnlySequence(), context as IPayloadRetention));

    /// <summary>Each worker's one long-lived stream: results and heartbeats up, weights and tasks down.</summary>
    public static readonly Method<WorkerMessage, CoordinatorMessage> Join = new(
        MethodType.DuplexStreaming, ServiceName, "Join", WorkerMessages, CoordinatorMessages);

    /// <summary>The service a coordinator hosts: <paramref name="join"/> serves each worker's stream.</summary>
    public static ServerServiceDefinition Service(DuplexStreamingServerMethod<WorkerMessage, CoordinatorMessage> join) =>
        ServerServiceDefinition.CreateBuilder().AddMethod(Join, join).Build();

    private static void Serialize<T>(T message, SerializationContext context)
        where T : IMessage<T>, IBufferMessage => TensorMessageWriter.Serialize(message, context);
}
