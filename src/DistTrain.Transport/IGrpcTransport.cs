using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport;

/// <summary>
/// One way of carrying gRPC: a server that hosts any <see cref="ServerServiceDefinition"/> (plus
/// grpc.health.v1.Health) and a client channel whose <see cref="CallInvoker"/> calls any
/// <see cref="Method{TRequest, TResponse}"/>. Application code sees only these Grpc.Core.Api types.
/// </summary>
public interface IGrpcTransport
{
    TransportKind Kind { get; }

    Task<IGrpcServer> StartServerAsync(GrpcServerOptions options, IReadOnlyList<ServerServiceDefinition> services, ILoggerFactory loggers, CancellationToken cancellationToken = default);

    /// <summary>A channel to <paramref name="address"/> (http:// h2c or https:// TLS); connects on first use.</summary>
    ClientChannel CreateChannel(string address, GrpcClientOptions options);
}
