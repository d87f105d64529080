using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DistTrain.Rpc.Http2;
using Microsoft.Extensions.Logging;

namespace DistTrain.Rpc;

/// <summary>
/// A gRPC server: HTTP/2 only (h2c for http://, TLS with ALPN h2 for https://), serving the
/// registered methods plus grpc.health.v1.Health, on listening sockets of its own.
/// </summary>
public sealed partial class GrpcServer : IAsyncDisposable
{
    private readonly ConnectionListener _listener;
    private readonly ILogger _logger;
    private int _stopped;

    private GrpcServer(ConnectionListener listener, Uri address, HealthService health, ILogger logger)
    {
        _listener = listener;
        Address = address;
        Health = health;
        _logger = logger;
    }

    /// <summary>The bound address, with the real port when port 0 was asked for.</summary>
    public Uri Address { get; }

    public HealthService Health { get; }

    public static Task<GrpcServer> StartAsync(
        GrpcServerOptions options,
        ServiceRegistry services,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxReceiveMessageSize, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSendMessageSize, 0);
        cancellationToken.ThrowIfCancellationRequested();
        var endpoint = ListenEndpoint.Parse(options.ListenUrl);
        var certificate = endpoint.IsTls ? ServerCertificate.Load(options) : null;
        var logger = loggerFactory.CreateLogger<GrpcServer>();

        var health = new HealthService();
        var methods = new Dictionary<string, ServerMethod>(services.Methods, StringComparer.Ordinal);
        health.Register(methods);

        var sockets = Bind(endpoint, options.ListenUrl);
        var port = ((IPEndPoint)sockets[0].LocalEndPoint!).Port;
        var host = endpoint.IsLocalhost
            ? "localhost"
            : endpoint.Address!.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        var address = new Uri($"{(endpoint.IsTls ? "https" : "http")}://{host}:{port.ToString(CultureInfo.InvariantCulture)}");

        var dispatcher = new CallDispatcher(methods, options, logger);
        var listener = new ConnectionListener(sockets, certificate, Http2Limits.ForMessages(options.MaxReceiveMessageSize), dispatcher, loggerFactory.CreateLogger("DistTrain.Rpc.Http2"));
        listener.Start();
        LogStarted(logger, address, options.AuthToken is { Length: > 0 });
        return Task.FromResult(new GrpcServer(listener, address, health, logger));
    }

    /// <summary>
    /// Reports NOT_SERVING, stops accepting connections, lets running calls finish for up to
    /// <paramref name="grace"/>, then aborts the rest (their handlers' tokens fire).
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        LogStopping(_logger, Address, grace);
        Health.Stop();
        await _listener.StopAsync(grace).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.Zero).ConfigureAwait(false);

    /// <summary>
    /// localhost means both loopbacks (IPv4 only for port 0, which cannot be the same free port
    /// on both); the IPv6 wildcard also accepts IPv4.
    /// </summary>
    private static List<Socket> Bind(ListenEndpoint endpoint, string url)
    {
        var addresses = endpoint.IsLocalhost
            ? endpoint.Port == 0 || !Socket.OSSupportsIPv6 ? [IPAddress.Loopback] : new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }
            : [endpoint.Address!];
        var sockets = new List<Socket>();
        try
        {
            foreach (var address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                if (address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }
                socket.Bind(new IPEndPoint(address, endpoint.Port));
                socket.Listen(512);
            }
        }
        catch (SocketException e)
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
            throw new IOException($"Cannot listen on {url}: {e.Message}", e);
        }
        return sockets;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "gRPC server listening on {Address} (bearer token required: {TokenRequired})")]
    private static partial void LogStarted(ILogger logger, Uri address, bool tokenRequired);

    [LoggerMessage(Level = LogLevel.Information, Message = "gRPC server on {Address} stopping, grace {Grace}")]
    private static partial void LogStopping(ILogger logger, Uri address, TimeSpan grace);
}
