using Grpc.Core;

namespace DistTrain.Transport.Http2.Server;

/// <summary>The engine's <see cref="ServerCallContext"/>: what a handler knows about the call it serves.</summary>
internal sealed class EngineServerCallContext(ServerCall call, CallStart start, DateTime deadline, CancellationToken cancellationToken) : ServerCallContext
{
    private readonly Metadata _responseTrailers = [];
    private Dictionary<object, object>? _userState;

    protected override string MethodCore => start.Method;

    protected override string HostCore => start.Host;

    protected override string PeerCore => start.Peer;

    protected override DateTime DeadlineCore => deadline;

    protected override Metadata RequestHeadersCore => start.RequestHeaders;

    protected override CancellationToken CancellationTokenCore => cancellationToken;

    protected override Metadata ResponseTrailersCore => _responseTrailers;

    protected override Status StatusCore { get; set; } = Status.DefaultSuccess;

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore => new(null, []);

    protected override IDictionary<object, object> UserStateCore => _userState ??= [];

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Context propagation is not supported by this transport.");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => call.WriteHeadersAsync(responseHeaders);
}
