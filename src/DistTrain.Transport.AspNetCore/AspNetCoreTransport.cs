using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.AspNetCore;

/// <summary>
/// The reference transport (<c>--transport aspnetcore</c>): Grpc.AspNetCore on Kestrel serves the
/// service definitions, Grpc.Net.Client's GrpcChannel calls them. Standard, widely trusted,
/// and tuned for DistTrain's megabyte messages (see <see cref="Http2Tuning"/>).
/// </summary>
public sealed class AspNetCoreTransport : IGrpcTransport
{
    public TransportKind Kind => TransportKind.AspNetCore;

    public async Task<IGrpcServer> StartServerAsync(GrpcServerOptions options, IReadOnlyList<ServerServiceDefinition> services, ILoggerFactory loggers, CancellationToken cancellationToken = default) =>
        await KestrelGrpcServer.StartAsync(options, services, loggers, cancellationToken).ConfigureAwait(false);

    public ClientChannel CreateChannel(string address, GrpcClientOptions options)
    {
        var channel = NetClientChannel.Create(address, options);
        return new ClientChannel(channel, channel);
    }
}
