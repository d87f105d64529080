using Microsoft.Extensions.Logging;

namespace DistTrain.Rpc.Tests.Support;

/// <summary>A real server on a free loopback port with the Echo service and recorded logs.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private TestServer(GrpcServer server, EchoService echo, RecordingLoggerProvider logs, ILoggerFactory loggerFactory)
    {
        Server = server;
        Echo = echo;
        Logs = logs;
        _loggerFactory = loggerFactory;
    }

    public GrpcServer Server { get; }

    public EchoService Echo { get; }

    public RecordingLoggerProvider Logs { get; }

    public string Address => Server.Address.ToString().TrimEnd('/');

    public int Port => Server.Address.Port;

    public static async Task<TestServer> StartAsync(GrpcServerOptions? options = null, Action<ServiceRegistry>? register = null)
    {
        var logs = new RecordingLoggerProvider();
        var loggerFactory = logs.CreateFactory();
        var echo = new EchoService();
        var registry = echo.Register(new ServiceRegistry());
        register?.Invoke(registry);
        var server = await GrpcServer.StartAsync(options ?? new GrpcServerOptions(), registry, loggerFactory);
        return new TestServer(server, echo, logs, loggerFactory);
    }

    public GrpcChannel Channel(GrpcChannelOptions? options = null) => GrpcChannel.ForAddress(Address, options);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
