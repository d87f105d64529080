using DistTrain.Training.Protocol.V1;
using DistTrain.Transport.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Training.Protocol;

/// <summary>
/// The services of parameter shards (protos/disttrain/v1/parameter_shards.proto) as Grpc.Core.Api
/// method definitions. Their marshallers treat weight and gradient blocks and slice states as
/// <see cref="TrainerMethods"/> treats tensors: never serialized through an array of ours on send,
/// a <see cref="ReceivedTensor"/> on receive (release it once its bytes are used).
/// </summary>
public static class ParameterShardMethods
{
    public const string RegistryServiceName = "disttrain.v1.ParameterServerRegistry";

    public const string ServerServiceName = "disttrain.v1.ParameterServer";

    public static readonly Marshaller<OwnerReport> OwnerReports = Marshallers.Create<OwnerReport>(
        Serialize,
        context => TensorMessageReaders.ReadOwnerReport(context.PayloadAsReadOnlySequence(), context as IPayloadRetention));

    // Assignments are rare (one per run and server): protobuf's parser copies their bytes once.
    public static readonly Marshaller<OwnerOrder> OwnerOrders = Marshallers.Create<OwnerOrder>(
        Serialize,
        context => OwnerOrder.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    public static readonly Marshaller<ExchangeRequest> ExchangeRequests = Marshallers.Create<ExchangeRequest>(
        Serialize,
        context => TensorMessageReaders.ReadExchangeRequest(context.PayloadAsReadOnlySequence(), context as IPayloadRetention));

    public static readonly Marshaller<ExchangeReply> ExchangeReplies = Marshallers.Create<ExchangeReply>(
        Serialize,
        context => TensorMessageReaders.ReadExchangeReply(context.PayloadAsReadOnlySequence(), context as IPayloadRetention));

    /// <summary>Each parameter server's one long-lived stream to the coordinator: reports up, orders down.</summary>
    public static readonly Method<OwnerReport, OwnerOrder> Register = new(
        MethodType.DuplexStreaming, RegistryServiceName, "Register", OwnerReports, OwnerOrders);

    /// <summary>Each worker's one long-lived stream to each slice owner: pulls and gradient blocks up, weight blocks and receipts down.</summary>
    public static readonly Method<ExchangeRequest, ExchangeReply> Exchange = new(
        MethodType.DuplexStreaming, ServerServiceName, "Exchange", ExchangeRequests, ExchangeReplies);

    /// <summary>The registry a coordinator with parameter shards hosts beside Trainer.</summary>
    public static ServerServiceDefinition RegistryService(DuplexStreamingServerMethod<OwnerReport, OwnerOrder> register) =>
        ServerServiceDefinition.CreateBuilder().AddMethod(Register, register).Build();

    /// <summary>The service every slice owner hosts.</summary>
    public static ServerServiceDefinition ServerService(DuplexStreamingServerMethod<ExchangeRequest, ExchangeReply> exchange) =>
        ServerServiceDefinition.CreateBuilder().AddMethod(Exchange, exchange).Build();

    private static void Serialize<T>(T message, SerializationContext context)
        where T : IMessage<T>, IBufferMessage => TensorMessageWriter.Serialize(message, context);
}
