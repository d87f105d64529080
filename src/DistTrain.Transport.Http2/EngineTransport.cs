using DistTrain.Transport.Http2.Client;
using DistTrain.Transport.Http2.Server;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2;

/// <summary>
/// DistTrain's own HTTP/2 engine behind the standard gRPC API (<c>--transport fast</c>): a server
/// for any <see cref="ServerServiceDefinition"/> on sockets of its own, and a channel whose
/// <see cref="CallInvoker"/> sends a message that fits the peer's frame and windows as one DATA frame.
/// </summary>
public sealed class EngineTransport : IGrpcTransport
{
    public TransportKind Kind => TransportKind.Fast;

    public Task<IGrpcServer> StartServerAsync(GrpcServerOptions options, IReadOnlyList<ServerServiceDefinition> services, ILoggerFactory loggers, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IGrpcServer>(EngineServer.Start(options, services, loggers));
    }

    public ClientChannel CreateChannel(string address, GrpcClientOptions options)
    {
        var channel = EngineChannel.ForAddress(address, options);
        return new ClientChannel(channel, channel);
    }
}
