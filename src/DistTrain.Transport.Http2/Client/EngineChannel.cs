using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2.Client;

/// <summary>
/// A client connection to one gRPC server over the engine's HTTP/2: http:// is cleartext with
/// prior knowledge (h2c), https:// is TLS with ALPN h2. Thread-safe; create one per server and reuse it.
/// </summary>
internal sealed class EngineChannel : ChannelBase, IDisposable
{
    private readonly ClientConnection _connection;
    private readonly GrpcClientOptions _options;
    private readonly ILogger? _logger;

    private EngineChannel(Uri address, GrpcClientOptions options)
        : base(address.GetLeftPart(UriPartial.Authority))
    {
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<EngineChannel>();
        _connection = new ClientConnection(address, options, _logger);
    }

    public static EngineChannel ForAddress(string address, GrpcClientOptions options)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"'{address}' is not an http:// or https:// address such as http://127.0.0.1:50051.");
        }
        return new EngineChannel(uri, options);
    }

    public override CallInvoker CreateCallInvoker() => new EngineCallInvoker(_connection, _options, _logger);

    /// <summary>Closes the connection at once: calls still running fail with UNAVAILABLE.</summary>
    public void Dispose() => _connection.Close();

    protected override Task ShutdownAsyncCore()
    {
        _connection.Close();
        return Task.CompletedTask;
    }
}
