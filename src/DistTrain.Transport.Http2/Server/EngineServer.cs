using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DistTrain.Transport.Hosting;
using DistTrain.Transport.Http2.Framing;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistTrain.Transport.Http2.Server;

/// <summary>
/// The engine's gRPC server: HTTP/2 only (h2c for http://, TLS with ALPN h2 for https://),
/// serving any <see cref="ServerServiceDefinition"/> plus grpc.health.v1.Health, on listening
/// sockets of its own.
/// </summary>
internal sealed partial class EngineServer : IGrpcServer
{
    private readonly ConnectionListener _listener;
    private readonly ServerHealth _health;
    private readonly ILogger _logger;
    private int _stopped;

    private EngineServer(ConnectionListener listener, Uri address, ServerHealth health, ILogger logger)
    {
        _listener = listener;
        Address = address;
        _health = health;
        _logger = logger;
    }

    public Uri Address { get; }

    public void SetServingStatus(string service, ServingStatus status) => _health.SetStatus(service, status);

    public static EngineServer Start(
        GrpcServerOptions options,
        IReadOnlyList<ServerServiceDefinition> services,
        ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxReceiveMessageSize, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSendMessageSize, 0);
        options.Limits.Validate();
        var endpoint = ListenEndpoint.Parse(options.ListenUrl);
        var certificate = endpoint.IsTls ? ServerCertificate.Load(options) : null;
        var logger = loggerFactory.CreateLogger<EngineServer>();

        var health = new ServerHealth();
        var methods = MethodTable.From([.. services, health.Definition]);

        var sockets = Bind(endpoint, options.ListenUrl);
        var port = ((IPEndPoint)sockets[0].LocalEndPoint!).Port;
        var host = endpoint.IsLocalhost
            ? "localhost"
            : endpoint.Address!.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        var address = new Uri($"{(endpoint.IsTls ? "https" : "http")}://{host}:{port.ToString(CultureInfo.InvariantCulture)}");

        var dispatcher = new CallDispatcher(methods, options, logger);
        var listener = new ConnectionListener(sockets, certificate, Http2Limits.ForServer(options.MaxReceiveMessageSize, options.Limits), options.Limits, dispatcher, loggerFactory.CreateLogger<Http2Connection>());
        listener.Start();
        LogStarted(logger, address, options.AuthToken is { Length: > 0 });
        return new EngineServer(listener, address, health, logger);
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
        _health.Stop();
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "gRPC server (engine) listening on {Address} (bearer token required: {TokenRequired})")]
    private static partial void LogStarted(ILogger logger, Uri address, bool tokenRequired);

    [LoggerMessage(Level = LogLevel.Debug, Message = "gRPC server on {Address} stopping, grace {Grace}")]
    private static partial void LogStopping(ILogger logger, Uri address, TimeSpan grace);
}
