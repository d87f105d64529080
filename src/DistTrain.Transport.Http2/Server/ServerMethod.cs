using Grpc.Core;

namespace DistTrain.Transport.Http2.Server;

/// <summary>One method of a bound <see cref="ServerServiceDefinition"/>: how it reads its requests and calls its handler.</summary>
internal abstract class ServerMethod
{
    public abstract Task InvokeAsync(ServerCall call);
}

internal sealed class UnaryMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler) : ServerMethod
    where TRequest : class
    where TResponse : class
{
    public override async Task InvokeAsync(ServerCall call)
    {
        var request = await call.ReadSingleMessageAsync(method.RequestMarshaller.ContextualDeserializer).ConfigureAwait(false);
        var response = await handler(request, call.Context).ConfigureAwait(false);
        // The status follows at once; it flushes both.
        await call.WriteMessageAsync(response, method.ResponseMarshaller.ContextualSerializer, CancellationToken.None, flush: false).ConfigureAwait(false);
    }
}

internal sealed class ClientStreamingMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler) : ServerMethod
    where TRequest : class
    where TResponse : class
{
    public override async Task InvokeAsync(ServerCall call)
    {
        var response = await handler(new ServerRequestStream<TRequest>(call, method.RequestMarshaller.ContextualDeserializer), call.Context).ConfigureAwait(false);
        await call.WriteMessageAsync(response, method.ResponseMarshaller.ContextualSerializer, CancellationToken.None, flush: false).ConfigureAwait(false);
    }
}

internal sealed class ServerStreamingMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler) : ServerMethod
    where TRequest : class
    where TResponse : class
{
    public override async Task InvokeAsync(ServerCall call)
    {
        var request = await call.ReadSingleMessageAsync(method.RequestMarshaller.ContextualDeserializer).ConfigureAwait(false);
        await handler(request, new ServerResponseStream<TResponse>(call, method.ResponseMarshaller.ContextualSerializer), call.Context).ConfigureAwait(false);
    }
}

internal sealed class DuplexStreamingMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler) : ServerMethod
    where TRequest : class
    where TResponse : class
{
    public override Task InvokeAsync(ServerCall call) =>
        handler(
            new ServerRequestStream<TRequest>(call, method.RequestMarshaller.ContextualDeserializer),
            new ServerResponseStream<TResponse>(call, method.ResponseMarshaller.ContextualSerializer),
            call.Context);
}
