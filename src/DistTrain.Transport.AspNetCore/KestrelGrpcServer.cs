using System.Net;
using DistTrain.Transport.Hosting;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistTrain.Transport.AspNetCore;

/// <summary>
/// A gRPC server hosted the standard way: a WebApplication on Kestrel (HTTP/2 only: h2c for
/// http://, TLS with ALPN h2 for https://), AddGrpc with the message limits, each service
/// definition mapped with MapGrpcService, grpc.health.v1.Health from Grpc.HealthCheck, and the
/// bearer token checked by middleware before routing.
/// </summary>
internal sealed partial class KestrelGrpcServer : IGrpcServer
{
    private readonly WebApplication _app;
    private readonly ServerHealth _health;
    private readonly ILogger _logger;
    private int _stopped;

    private KestrelGrpcServer(WebApplication app, Uri address, ServerHealth health, ILogger logger)
    {
        _app = app;
        Address = address;
        _health = health;
        _logger = logger;
    }

    public Uri Address { get; }

    public void SetServingStatus(string service, ServingStatus status) => _health.SetStatus(service, status);

    public static async Task<KestrelGrpcServer> StartAsync(GrpcServerOptions options, IReadOnlyList<ServerServiceDefinition> services, ILoggerFactory loggers, bool tuneWindows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Limits.Validate();
        var endpoint = ListenEndpoint.Parse(options.ListenUrl);
        var certificate = endpoint.IsTls ? ServerCertificate.Load(options) : null;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(new HostLoggerFactory(loggers));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            ApplyLimits(kestrel.Limits, options.Limits);
            if (tuneWindows)
            {
                var http2 = kestrel.Limits.Http2;
                http2.InitialStreamWindowSize = Http2Tuning.StreamWindow(options.MaxReceiveMessageSize);
                http2.InitialConnectionWindowSize = Http2Tuning.ConnectionWindow(options.MaxReceiveMessageSize);
            }
            void Configure(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            }
            if (endpoint.IsLocalhost)
            {
                kestrel.ListenLocalhost(endpoint.Port, Configure);
            }
            else
            {
                kestrel.Listen(endpoint.Address!, endpoint.Port, Configure);
            }
        });
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxReceiveMessageSize;
            grpc.MaxSendMessageSize = options.MaxSendMessageSize;
            grpc.EnableDetailedErrors = false;
        });
        var app = builder.Build();
        var health = new ServerHealth();
        if (BearerTokenCheck.For(options.AuthToken) is { } tokenCheck)
        {
            app.Use(BearerTokenMiddleware.Create(tokenCheck));
        }
        foreach (var service in services)
        {
            app.MapGrpcService(service);
        }
        app.MapGrpcService(health.Definition);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"Cannot listen on {options.ListenUrl}: {e.Message}", e);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound.Replace("://[::]:", "://localhost:", StringComparison.Ordinal)).Port;
        var host = endpoint.IsLocalhost
            ? "localhost"
            : endpoint.Address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        var address = new Uri($"{(endpoint.IsTls ? "https" : "http")}://{host}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        var logger = loggers.CreateLogger<KestrelGrpcServer>();
        LogStarted(logger, address, options.AuthToken is { Length: > 0 });
        return new KestrelGrpcServer(app, address, health, logger);
    }

    /// <summary>The bounds of <see cref="ServerLimits"/> that Kestrel has a setting for; it keeps its own for the rest (rapid reset among them).</summary>
    private static void ApplyLimits(KestrelServerLimits kestrel, ServerLimits limits)
    {
        kestrel.MaxConcurrentConnections = limits.MaxConnections;
        kestrel.MaxConcurrentUpgradedConnections = limits.MaxConnections;
        kestrel.Http2.MaxStreamsPerConnection = limits.MaxConcurrentStreams;
        kestrel.Http2.HeaderTableSize = limits.HeaderTableSize;
        kestrel.MaxRequestHeadersTotalSize = limits.MaxHeaderListSize;
        kestrel.Http2.MaxRequestHeaderFieldSize = Math.Min(limits.MaxHeaderListSize, 16 * 1024);
        kestrel.RequestHeadersTimeout = TimeSpan.FromSeconds(limits.HandshakeTimeoutSeconds);
        kestrel.KeepAliveTimeout = TimeSpan.FromSeconds(limits.IdleTimeoutSeconds);
    }

    public async Task StopAsync(TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        LogStopping(_logger, Address, grace);
        _health.Stop();
        // Kestrel lets running calls finish until the token fires, then aborts their connections.
        using var timeout = new CancellationTokenSource(grace);
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.Zero).ConfigureAwait(false);

    [LoggerMessage(Level = LogLevel.Debug, Message = "gRPC server (Kestrel) listening on {Address} (bearer token required: {TokenRequired})")]
    private static partial void LogStarted(ILogger logger, Uri address, bool tokenRequired);

    [LoggerMessage(Level = LogLevel.Debug, Message = "gRPC server on {Address} stopping, grace {Grace}")]
    private static partial void LogStopping(ILogger logger, Uri address, TimeSpan grace);
}
