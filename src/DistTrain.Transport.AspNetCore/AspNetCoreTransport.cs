using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.AspNetCore;

/// <summary>
/// The reference transport (<c>--transport aspnetcore</c>): Grpc.AspNetCore on Kestrel serves the
/// service definitions, Grpc.Net.Client's GrpcChannel calls them. Standard, widely trusted,
/// and tuned for DistTrain's megabyte messages (see <see cref="Http2Tuning"/>).
/// </summary>
/// <param name="tuning">Which ends get windows sized for large messages; <see cref="WindowTuning.Both"/> unless measuring what tuning buys.</param>
public sealed class AspNetCoreTransport(WindowTuning tuning = WindowTuning.Both) : IGrpcTransport
{
    public TransportKind Kind => TransportKind.AspNetCore;

    public async Task<IGrpcServer> StartServerAsync(GrpcServerOptions options, IReadOnlyList<ServerServiceDefinition> services, ILoggerFactory loggers, CancellationToken cancellationToken = default) =>
        await KestrelGrpcServer.StartAsync(options, services, loggers, tuning.HasFlag(WindowTuning.Server), cancellationToken).ConfigureAwait(false);

    public ClientChannel CreateChannel(string address, GrpcClientOptions options)
    {
        var channel = NetClientChannel.Create(address, options, tuning.HasFlag(WindowTuning.Client));
        return new ClientChannel(channel, channel);
    }
}

/// <summary>Which ends of the reference transport size their HTTP/2 receive windows for large messages (<see cref="Http2Tuning"/>).</summary>
[Flags]
public enum WindowTuning
{
    /// <summary>Kestrel's and SocketsHttpHandler's defaults.</summary>
    None = 0,
    Server = 1,
    Client = 2,
    Both = Server | Client,
}
