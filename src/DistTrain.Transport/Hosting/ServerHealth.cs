using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistTrain.Transport.Hosting;

/// <summary>
/// grpc.health.v1.Health for both transports: Grpc.HealthCheck's service, "" (the whole server)
/// SERVING from start. Stopping reports NOT_SERVING for every service and ends open Watch calls
/// with that status, so a server can drain instead of waiting for watchers to hang up (the same
/// thing Grpc.AspNetCore.HealthChecks does on application stop).
/// </summary>
public sealed class ServerHealth
{
    private readonly HealthServiceImpl _service = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly HashSet<string> _services = [string.Empty];

    public ServerHealth() => _service.SetStatus(string.Empty, ServingStatus.Serving);

    /// <summary>The service to host: bind it like any other.</summary>
    public ServerServiceDefinition Definition => Health.BindService(new StoppingAware(this));

    public void SetStatus(string service, ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_gate)
        {
            _services.Add(service);
        }
        _service.SetStatus(service, status);
    }

    /// <summary>Every service reports NOT_SERVING; Watch calls send it and end.</summary>
    public void Stop()
    {
        string[] services;
        lock (_gate)
        {
            services = [.. _services];
        }
        foreach (var service in services)
        {
            _service.SetStatus(service, ServingStatus.NotServing);
        }
        _stopping.Cancel();
    }

    private sealed class StoppingAware(ServerHealth health) : Health.HealthBase
    {
        public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
            health._service.Check(request, context);

        public override async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, health._stopping.Token);
            var writer = new LastStatusWriter(responseStream);
            try
            {
                await health._service.Watch(request, writer, new LinkedCallContext(context, linked.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (health._stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                // Stopping: the final status follows.
            }
            if (health._stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested && writer.Last != ServingStatus.NotServing)
            {
                await responseStream.WriteAsync(new HealthCheckResponse { Status = ServingStatus.NotServing }).ConfigureAwait(false);
            }
        }
    }

    private sealed class LastStatusWriter(IServerStreamWriter<HealthCheckResponse> inner) : IServerStreamWriter<HealthCheckResponse>
    {
        public ServingStatus? Last { get; private set; }

        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public async Task WriteAsync(HealthCheckResponse message)
        {
            await inner.WriteAsync(message).ConfigureAwait(false);
            Last = message.Status;
        }
    }

    /// <summary>The call's context with a token that also fires when the server stops.</summary>
    private sealed class LinkedCallContext(ServerCallContext inner, CancellationToken token) : ServerCallContext
    {
        protected override string MethodCore => inner.Method;

        protected override string HostCore => inner.Host;

        protected override string PeerCore => inner.Peer;

        protected override DateTime DeadlineCore => inner.Deadline;

        protected override Metadata RequestHeadersCore => inner.RequestHeaders;

        protected override CancellationToken CancellationTokenCore => token;

        protected override Metadata ResponseTrailersCore => inner.ResponseTrailers;

        protected override Status StatusCore
        {
            get => inner.Status;
            set => inner.Status = value;
        }

        protected override WriteOptions? WriteOptionsCore
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        protected override AuthContext AuthContextCore => inner.AuthContext;

        protected override IDictionary<object, object> UserStateCore => inner.UserState;

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => inner.CreatePropagationToken(options);

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => inner.WriteResponseHeadersAsync(responseHeaders);
    }
}
