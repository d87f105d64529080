using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Tests.Support;

/// <summary>A real server of one transport on a free loopback port, with the Echo service and recorded logs.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private TestServer(string transport, IGrpcServer server, EchoService echo, RecordingLoggerProvider logs, ILoggerFactory loggerFactory)
    {
        Transport = transport;
        Server = server;
        Echo = echo;
        Logs = logs;
        _loggerFactory = loggerFactory;
    }

    public string Transport { get; }

    public IGrpcServer Server { get; }

    public EchoService Echo { get; }

    public RecordingLoggerProvider Logs { get; }

    public string Address => Server.Address.ToString().TrimEnd('/');

    public int Port => Server.Address.Port;

    public static async Task<TestServer> StartAsync(string transport, GrpcServerOptions? options = null, params ServerServiceDefinition[] more)
    {
        var logs = new RecordingLoggerProvider();
        var loggerFactory = logs.CreateFactory();
        var echo = new EchoService();
        var server = await TransportNames.Create(transport).StartServerAsync(options ?? new GrpcServerOptions(), [echo.Definition, .. more], loggerFactory);
        return new TestServer(transport, server, echo, logs, loggerFactory);
    }

    /// <summary>A channel to this server, of the server's transport unless another is named.</summary>
    public ClientChannel Channel(GrpcClientOptions? options = null, string? transport = null) =>
        TransportNames.Create(transport ?? Transport).CreateChannel(Address, options ?? new GrpcClientOptions());

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
