using DistTrain.Rpc.Http2;
using DistTrain.Rpc.Wire;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace DistTrain.Rpc;

/// <summary>
/// A client connection to one gRPC server over HTTP/2: http:// is cleartext with prior
/// knowledge (h2c), https:// is TLS with ALPN h2. Thread-safe; create one per server and reuse it.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly ClientConnection _connection;
    private readonly GrpcChannelOptions _options;
    private readonly ILogger? _logger;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<GrpcChannel>();
        _connection = new ClientConnection(address, options, _logger);
    }

    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Address '{address}' is not an http:// or https:// URL.", nameof(address));
        }
        return new GrpcChannel(uri, options ?? new GrpcChannelOptions());
    }

    /// <summary>One request, one response, parsed by protobuf's parser (see the overload below).</summary>
    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        UnaryAsync(method, request, (MessageReader<TResponse>)parser, options);

    /// <summary>
    /// One request, one response. Throws <see cref="RpcException"/> with the server's status, or
    /// UNAVAILABLE when the server cannot be reached, DEADLINE_EXCEEDED, CANCELLED.
    /// </summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageReader<TResponse> parser, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        var size = request.CalculateSize();
        if (size > _options.MaxSendMessageSize)
        {
            throw MessageFrame.TooLarge(size, _options.MaxSendMessageSize, receivingSide: false);
        }
        using var call = new ClientCall(_connection, method, options, _options, _logger);
        Http2Stream? stream = null;
        try
        {
            stream = await call.StartAsync(flush: false).ConfigureAwait(false);
            await stream.SendMessageAsync(request, size, endStream: true, call.Token).ConfigureAwait(false);
            if (await call.ReadHeadersAsync(stream).ConfigureAwait(false) is { } ended)
            {
                throw ended.StatusCode == StatusCode.OK
                    ? new RpcException(StatusCode.Internal, "The server ended a unary call without a response message.")
                    : ended;
            }
            var (found, message) = await PipeMessageReader.ReadAsync(stream, parser, _options.MaxReceiveMessageSize, "response", call.Token).ConfigureAwait(false);
            if (found && (await PipeMessageReader.ReadAsync(stream, parser, _options.MaxReceiveMessageSize, "response", call.Token).ConfigureAwait(false)).Found)
            {
                throw new RpcException(StatusCode.Internal, "The server sent more than one message for a unary call.");
            }
            var status = ClientCall.FinalStatus(stream);
            if (status.StatusCode != StatusCode.OK)
            {
                throw status;
            }
            return found
                ? message!
                : throw new RpcException(StatusCode.Internal, "The server ended a unary call without a response message.");
        }
        catch (Exception e)
        {
            // The server may have answered (trailers-only) while the request was still going out.
            var early = e is RpcException ? null : ClientCall.EarlyStatus(stream);
            // Cancel first, so a reply still in flight is reset rather than drained.
            call.Cancel();
            throw early is { StatusCode: not StatusCode.OK } ? early : call.ToRpcException(e);
        }
    }

    /// <summary>
    /// Opens a bidirectional stream. The call starts at once; dispose it to cancel it if it has
    /// not ended.
    /// </summary>
    public DuplexStreamingCall<TRequest, TResponse> DuplexStreaming<TRequest, TResponse>(string method, MessageReader<TResponse> parser, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        var stream = new StreamingCall(new ClientCall(_connection, method, options, _options, _logger));
        return new DuplexStreamingCall<TRequest, TResponse>(
            stream,
            new ClientRequestStream<TRequest>(stream, _options.MaxSendMessageSize),
            new ClientResponseStream<TResponse>(stream, parser, _options.MaxReceiveMessageSize));
    }

    /// <summary>Closes the connection at once: calls still running fail with UNAVAILABLE.</summary>
    public void Dispose() => _connection.Close();
}
