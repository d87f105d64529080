using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistTrain.Rpc;

/// <summary>
/// The standard grpc.health.v1.Health service (grpc/grpc doc/health-checking.md), registered on
/// every server. "" is the whole server, SERVING from start until the server stops.
/// </summary>
public sealed class HealthService
{
    public const string CheckMethod = "/grpc.health.v1.Health/Check";
    public const string WatchMethod = "/grpc.health.v1.Health/Watch";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal) { [string.Empty] = ServingStatus.Serving };
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void SetStatus(string service, ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        TaskCompletionSource changed;
        lock (_gate)
        {
            _statuses[service] = status;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>The status of <paramref name="service"/>, or null when it was never set.</summary>
    public ServingStatus? GetStatus(string service)
    {
        lock (_gate)
        {
            return _statuses.TryGetValue(service, out var status) ? status : null;
        }
    }

    internal void Register(IDictionary<string, ServerMethod> methods)
    {
        methods[CheckMethod] = new UnaryServerMethod<HealthCheckRequest, HealthCheckResponse>(HealthCheckRequest.Parser, CheckAsync);
        methods[WatchMethod] = new ServerStreamingServerMethod<HealthCheckRequest, HealthCheckResponse>(HealthCheckRequest.Parser, WatchAsync);
    }

    /// <summary>Every service reports NOT_SERVING and open Watch calls end, so the server can drain.</summary>
    internal void Stop()
    {
        List<string> services;
        lock (_gate)
        {
            services = [.. _statuses.Keys];
        }
        foreach (var service in services)
        {
            SetStatus(service, ServingStatus.NotServing);
        }
        _stopping.Cancel();
    }

    private Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context) =>
        GetStatus(request.Service) is { } status
            ? Task.FromResult(new HealthCheckResponse { Status = status })
            : throw new RpcException(StatusCode.NotFound, $"Unknown service '{request.Service}'.");

    private async Task WatchAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responses, ServerCallContext context)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping.Token);
        ServingStatus? sent = null;
        while (true)
        {
            Task changed;
            ServingStatus current;
            // Read before the status: Stop() sets every status before it cancels, so a stop seen
            // here means the status read next is the final one and gets sent.
            var stopping = _stopping.IsCancellationRequested;
            lock (_gate)
            {
                changed = _changed.Task;
                // Per the spec an unknown service is reported, not failed, and the call stays open.
                current = _statuses.TryGetValue(request.Service, out var status) ? status : ServingStatus.ServiceUnknown;
            }
            if (current != sent)
            {
                await responses.WriteAsync(new HealthCheckResponse { Status = current }, context.CancellationToken).ConfigureAwait(false);
                sent = current;
            }
            if (stopping)
            {
                return;
            }
            try
            {
                await changed.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                // Loop once more to send the final NOT_SERVING, then end with OK.
            }
        }
    }
}
