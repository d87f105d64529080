using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistTrain.Rpc;

/// <summary>
/// A gRPC server on Kestrel: Kestrel accepts connections (and does TLS with ALPN h2 for
/// https://); HTTP/2 itself is ours (<see cref="Http2.Http2Connection"/>), serving the
/// registered methods plus grpc.health.v1.Health.
/// </summary>
public sealed partial class GrpcServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILogger _logger;
    private int _stopped;

    private GrpcServer(WebApplication app, Uri address, HealthService health, ILogger logger)
    {
        _app = app;
        Address = address;
        Health = health;
        _logger = logger;
    }

    /// <summary>The bound address, with the real port when port 0 was asked for.</summary>
    public Uri Address { get; }

    public HealthService Health { get; }

    public static async Task<GrpcServer> StartAsync(
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
        var endpoint = ListenEndpoint.Parse(options.ListenUrl);
        var certificate = endpoint.IsTls ? ServerCertificate.Load(options) : null;
        var logger = loggerFactory.CreateLogger<GrpcServer>();

        var health = new HealthService();
        var methods = new Dictionary<string, ServerMethod>(services.Methods, StringComparer.Ordinal);
        health.Register(methods);

        // The empty builder brings no configuration files, logging providers or default URLs:
        // only Kestrel, with the caller's logger factory for Kestrel's own connection logs.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseKestrelHttpsConfiguration();
        // Read as soon as the socket is readable instead of first waiting with a zero-byte read:
        // one receive call per block instead of two, at the price of a block per idle connection.
        builder.WebHost.UseSockets(sockets => sockets.WaitForDataBeforeAllocatingBuffer = false);
        var limits = Http2.Http2Limits.ForMessages(options.MaxReceiveMessageSize);
        var dispatcher = new CallDispatcher(methods, options, logger);
        var connections = new GrpcConnectionHandler(dispatcher, limits, loggerFactory.CreateLogger("DistTrain.Rpc.Http2"));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            KestrelTuning.Apply(kestrel, limits);
            void Configure(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
                // Terminal: Kestrel's own HTTP layer never sees these connections.
                listen.Run(connections.OnConnectedAsync);
            }
            if (endpoint.IsLocalhost && endpoint.Port != 0)
            {
                kestrel.ListenLocalhost(endpoint.Port, Configure);
            }
            else
            {
                // Kestrel cannot pick one free port for both loopbacks, so localhost:0 means IPv4.
                kestrel.Listen(endpoint.Address ?? System.Net.IPAddress.Loopback, endpoint.Port, Configure);
            }
        });
        var app = builder.Build();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address.");
        var address = new Uri(bound);
        LogStarted(logger, address, options.AuthToken is { Length: > 0 });
        return new GrpcServer(app, address, health, logger);
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
        using var timeout = new CancellationTokenSource(grace);
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "gRPC server listening on {Address} (bearer token required: {TokenRequired})")]
    private static partial void LogStarted(ILogger logger, Uri address, bool tokenRequired);

    [LoggerMessage(Level = LogLevel.Information, Message = "gRPC server on {Address} stopping, grace {Grace}")]
    private static partial void LogStopping(ILogger logger, Uri address, TimeSpan grace);
}
