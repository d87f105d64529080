using DistTrain.Transport.Http2.Calls;
using DistTrain.Transport.Http2.Framing;
using Grpc.Core;

namespace DistTrain.Transport.Http2.Client;

/// <summary>One request, one response: headers and the request leave in one send, the response is parsed in place.</summary>
internal static class UnaryCall
{
    /// <summary>
    /// Throws <see cref="RpcException"/> with the server's status, or UNAVAILABLE when the
    /// server cannot be reached, DEADLINE_EXCEEDED, CANCELLED.
    /// </summary>
    public static async Task<TResponse> RunAsync<TRequest, TResponse>(ClientCall call, Method<TRequest, TResponse> method, TRequest request, GrpcClientOptions options)
        where TRequest : class
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(request);
        Http2Stream? stream = null;
        try
        {
            stream = await call.StartAsync(flush: false).ConfigureAwait(false);
            await stream.SendMessageAsync(request, method.RequestMarshaller.ContextualSerializer, options.MaxSendMessageSize, endStream: true, call.Token).ConfigureAwait(false);
            if (await call.ReadHeadersAsync(stream).ConfigureAwait(false) is { } ended)
            {
                throw ended.StatusCode == StatusCode.OK
                    ? new RpcException(new Status(StatusCode.Internal, "Failed to deserialize response message."))
                    : ended;
            }
            var deserialize = method.ResponseMarshaller.ContextualDeserializer;
            var (found, message) = await MessageReader.ReadAsync(stream, deserialize, options.MaxReceiveMessageSize, "response", call.Token).ConfigureAwait(false);
            if (found && (await MessageReader.ReadAsync(stream, deserialize, options.MaxReceiveMessageSize, "response", call.Token).ConfigureAwait(false)).Found)
            {
                throw new RpcException(new Status(StatusCode.Internal, "The server sent more than one message for a unary call."));
            }
            var status = ClientCall.FinalStatus(stream);
            if (status.StatusCode != StatusCode.OK)
            {
                throw status;
            }
            if (!found)
            {
                throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize response message."));
            }
            call.SetOutcome(status.Status, status.Trailers);
            return message!;
        }
        catch (Exception e)
        {
            // The server may have answered (trailers-only) while the request was still going out.
            var early = e is RpcException ? null : ClientCall.EarlyStatus(stream);
            // Cancel first, so a reply still in flight is reset rather than drained.
            call.Cancel();
            var failure = early is { StatusCode: not StatusCode.OK } ? early : call.ToRpcException(e);
            call.SetOutcome(failure.Status, failure.Trailers);
            throw failure;
        }
        finally
        {
            call.Dispose();
        }
    }
}
