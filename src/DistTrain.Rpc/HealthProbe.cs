using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistTrain.Rpc;

/// <summary>A one-shot grpc.health.v1 Check for command lines and readiness probes.</summary>
public static class HealthProbe
{
    public const int Serving = 0;
    public const int NotServing = 1;
    public const int Unreachable = 2;

    /// <summary>Exit code: 0 SERVING, 1 NOT_SERVING or unknown service, 2 unreachable. Prints one line.</summary>
    public static Task<int> CheckAsync(string address, TimeSpan timeout, TextWriter output, string service = "") =>
        CheckAsync(address, timeout, output, service, new GrpcChannelOptions());

    /// <summary>As above, with channel options (e.g. the CA to trust for https://).</summary>
    public static async Task<int> CheckAsync(string address, TimeSpan timeout, TextWriter output, string service, GrpcChannelOptions channelOptions)
    {
        ArgumentNullException.ThrowIfNull(output);
        var name = service.Length == 0 ? address : $"{address} service '{service}'";
        try
        {
            using var channel = GrpcChannel.ForAddress(address, channelOptions);
            var reply = await channel.UnaryAsync(
                HealthService.CheckMethod,
                new HealthCheckRequest { Service = service },
                HealthCheckResponse.Parser,
                new CallOptions(Deadline: DateTime.UtcNow + timeout)).ConfigureAwait(false);
            await output.WriteLineAsync($"{name}: {WireName(reply.Status)}").ConfigureAwait(false);
            return reply.Status == ServingStatus.Serving ? Serving : NotServing;
        }
        catch (ArgumentException e)
        {
            await output.WriteLineAsync($"{name}: UNREACHABLE ({e.Message})").ConfigureAwait(false);
            return Unreachable;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            await output.WriteLineAsync($"{name}: SERVICE_UNKNOWN ({e.Detail})").ConfigureAwait(false);
            return NotServing;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            await output.WriteLineAsync($"{name}: UNREACHABLE ({e.StatusCode}: {e.Detail})").ConfigureAwait(false);
            return Unreachable;
        }
        catch (RpcException e)
        {
            await output.WriteLineAsync($"{name}: NOT_SERVING ({e.StatusCode}: {e.Detail})").ConfigureAwait(false);
            return NotServing;
        }
    }

    private static string WireName(ServingStatus status) => status switch
    {
        ServingStatus.Serving => "SERVING",
        ServingStatus.NotServing => "NOT_SERVING",
        ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
        _ => "UNKNOWN",
    };
}
