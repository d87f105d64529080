using Grpc.Core;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistTrain.Transport;

/// <summary>A one-shot grpc.health.v1 Check for command lines and readiness probes.</summary>
public static class HealthProbe
{
    public const int Serving = 0;
    public const int NotServing = 1;

    /// <summary>The command line's exit code for "nothing answered at the address" (2 means bad input there).</summary>
    public const int Unreachable = 4;

    /// <summary>Exit code: 0 SERVING, 1 NOT_SERVING or unknown service, 4 unreachable. Prints one line.</summary>
    public static async Task<int> CheckAsync(IGrpcTransport transport, string address, TimeSpan timeout, TextWriter output, string service, GrpcClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(output);
        var name = service.Length == 0 ? address : $"{address} service '{service}'";
        try
        {
            using var channel = transport.CreateChannel(address, options);
            var client = new Health.HealthClient(channel.CallInvoker);
            var reply = await client.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow + timeout).ConfigureAwait(false);
            await output.WriteLineAsync($"{name}: {WireName(reply.Status)}").ConfigureAwait(false);
            return reply.Status == ServingStatus.Serving ? Serving : NotServing;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            await output.WriteLineAsync($"{name}: SERVICE_UNKNOWN ({e.Status.Detail})").ConfigureAwait(false);
            return NotServing;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal or StatusCode.Unknown)
        {
            await output.WriteLineAsync($"{name}: UNREACHABLE ({e.StatusCode}: {e.Status.Detail})").ConfigureAwait(false);
            return Unreachable;
        }
        catch (RpcException e)
        {
            await output.WriteLineAsync($"{name}: NOT_SERVING ({e.StatusCode}: {e.Status.Detail})").ConfigureAwait(false);
            return NotServing;
        }
        catch (HttpRequestException e)
        {
            await output.WriteLineAsync($"{name}: UNREACHABLE ({e.Message})").ConfigureAwait(false);
            return Unreachable;
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
