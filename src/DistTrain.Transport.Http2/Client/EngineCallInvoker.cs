using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2.Client;

/// <summary>The engine's <see cref="CallInvoker"/>: every call of a channel goes over its one HTTP/2 connection.</summary>
internal sealed class EngineCallInvoker(ClientConnection connection, GrpcClientOptions options, ILogger? logger) : CallInvoker
{
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions callOptions, TRequest request) =>
        AsyncUnaryCall(method, host, callOptions, request).ResponseAsync.GetAwaiter().GetResult();

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions callOptions, TRequest request)
    {
        var call = new ClientCall(connection, method.FullName, callOptions, options, logger);
        var response = UnaryCall.RunAsync(call, method, request, options);
        return new AsyncUnaryCall<TResponse>(response, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Cancel);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions callOptions, TRequest request)
    {
        var (call, requests, responses) = Start(method, callOptions);
        _ = SendOnlyRequestAsync(requests, request);
        return new AsyncServerStreamingCall<TResponse>(responses, call.Call.ResponseHeadersAsync, call.Call.GetStatus, call.Call.GetTrailers, call.Dispose);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions callOptions)
    {
        var (call, requests, responses) = Start(method, callOptions);
        return new AsyncClientStreamingCall<TRequest, TResponse>(requests, responses.SingleAsync(), call.Call.ResponseHeadersAsync, call.Call.GetStatus, call.Call.GetTrailers, call.Dispose);
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions callOptions)
    {
        var (call, requests, responses) = Start(method, callOptions);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(requests, responses, call.Call.ResponseHeadersAsync, call.Call.GetStatus, call.Call.GetTrailers, call.Dispose);
    }

    private (StreamingCall Call, ClientRequestStream<TRequest> Requests, ClientResponseStream<TResponse> Responses) Start<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions callOptions)
        where TRequest : class
        where TResponse : class
    {
        var call = new StreamingCall(new ClientCall(connection, method.FullName, callOptions, options, logger));
        return (call,
            new ClientRequestStream<TRequest>(call, method.RequestMarshaller.ContextualSerializer, options.MaxSendMessageSize),
            new ClientResponseStream<TResponse>(call, method.ResponseMarshaller.ContextualDeserializer, options.MaxReceiveMessageSize));
    }

    /// <summary>A server-streaming call's one request, then the half-close; failures surface on the response side.</summary>
    private static async Task SendOnlyRequestAsync<TRequest>(ClientRequestStream<TRequest> requests, TRequest request)
        where TRequest : class
    {
        try
        {
            await requests.WriteAsync(request).ConfigureAwait(false);
            await requests.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The call has failed; reading the responses reports it.
        }
    }
}
