using Google.Protobuf;

namespace DistTrain.Rpc;

/// <summary>One registered method: how it reads its requests and calls its handler.</summary>
internal abstract class ServerMethod
{
    public abstract Task InvokeAsync(ServerCall call);
}

internal sealed class UnaryServerMethod<TRequest, TResponse>(
    MessageReader<TRequest> parser,
    Func<TRequest, ServerCallContext, Task<TResponse>> handler) : ServerMethod
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    public override async Task InvokeAsync(ServerCall call)
    {
        var request = await call.ReadSingleMessageAsync(parser).ConfigureAwait(false);
        var response = await handler(request, call.Context).ConfigureAwait(false);
        // The status follows at once; it flushes both.
        await call.WriteMessageAsync(response, CancellationToken.None, flush: false).ConfigureAwait(false);
    }
}

internal sealed class ServerStreamingServerMethod<TRequest, TResponse>(
    MessageReader<TRequest> parser,
    Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler) : ServerMethod
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    public override async Task InvokeAsync(ServerCall call)
    {
        var request = await call.ReadSingleMessageAsync(parser).ConfigureAwait(false);
        await handler(request, new ServerResponseStream<TResponse>(call), call.Context).ConfigureAwait(false);
    }
}

internal sealed class DuplexServerMethod<TRequest, TResponse>(
    MessageReader<TRequest> parser,
    Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler) : ServerMethod
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    public override Task InvokeAsync(ServerCall call) =>
        handler(new ServerRequestStream<TRequest>(call, parser), new ServerResponseStream<TResponse>(call), call.Context);
}
