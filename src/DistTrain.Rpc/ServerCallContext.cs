namespace DistTrain.Rpc;

/// <summary>What a server handler knows about the call it serves.</summary>
public sealed class ServerCallContext
{
    /// <summary>Public so handlers can be unit-tested without a server.</summary>
    public ServerCallContext(string method, string peer, Metadata requestHeaders, DateTime? deadline, CancellationToken cancellationToken)
    {
        Method = method;
        Peer = peer;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>"/package.Service/Method".</summary>
    public string Method { get; }

    /// <summary>"ipv4:127.0.0.1:5000" or "ipv6:[::1]:5000".</summary>
    public string Peer { get; }

    /// <summary>The client's custom headers (reserved and authorization headers left out).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>UTC deadline from the client's grpc-timeout, if it sent one.</summary>
    public DateTime? Deadline { get; }

    /// <summary>Fires when the client cancels or disconnects, the deadline passes, or the server stops.</summary>
    public CancellationToken CancellationToken { get; }
}
