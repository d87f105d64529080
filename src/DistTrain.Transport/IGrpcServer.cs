using Grpc.Health.V1;

namespace DistTrain.Transport;

/// <summary>A running gRPC server: the bound address, the standard health service, a graceful stop.</summary>
public interface IGrpcServer : IAsyncDisposable
{
    /// <summary>The bound address, with the real port when port 0 was asked for.</summary>
    Uri Address { get; }

    /// <summary>Sets what grpc.health.v1.Health reports for <paramref name="service"/> ("" is the whole server).</summary>
    void SetServingStatus(string service, HealthCheckResponse.Types.ServingStatus status);

    /// <summary>
    /// Reports NOT_SERVING, stops accepting calls, lets running calls finish for up to
    /// <paramref name="grace"/>, then aborts the rest (their handlers' tokens fire).
    /// </summary>
    Task StopAsync(TimeSpan grace);
}
