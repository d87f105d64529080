using DistTrain.Transport.Testing;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Transport.Tests.Support;

/// <summary>Ad-hoc methods for tests that need a handler the Echo service does not have.</summary>
public static class TestMethods
{
    public static Marshaller<T> Protobuf<T>(MessageParser<T> parser)
        where T : IMessage<T> =>
        Marshallers.Create(message => message.ToByteArray(), parser.ParseFrom);

    public static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string service, string name, MessageParser<TRequest> request, MessageParser<TResponse> response)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        new(MethodType.Unary, service, name, Protobuf(request), Protobuf(response));

    public static Method<EchoRequest, EchoReply> Duplex(string service, string name) =>
        new(MethodType.DuplexStreaming, service, name, Protobuf(EchoRequest.Parser), Protobuf(EchoReply.Parser));

    public static ServerServiceDefinition Service<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
        where TRequest : class
        where TResponse : class =>
        ServerServiceDefinition.CreateBuilder().AddMethod(method, handler).Build();

    public static ServerServiceDefinition Service(Method<EchoRequest, EchoReply> method, DuplexStreamingServerMethod<EchoRequest, EchoReply> handler) =>
        ServerServiceDefinition.CreateBuilder().AddMethod(method, handler).Build();
}
