namespace DistTrain.Transport;

/// <summary>
/// What one peer may cost a server, whatever it sends: the bounds that keep the coordinator's
/// port (the one every worker, and anything else on the network, can reach) from being made to
/// hold unbounded memory or CPU. Past a limit the connection gets GOAWAY with the RFC 9113 error
/// code (ENHANCE_YOUR_CALM for floods) and one log line naming the peer and the limit. The
/// defaults fit the training protocol (one long-lived stream per worker, messages up to a few
/// MB) with wide margins; configuration section Transport:Limits (Transport__Limits__X).
/// Both transports apply them; Kestrel takes those it has a setting for (see each).
/// </summary>
public sealed class ServerLimits
{
    /// <summary>
    /// Open connections in all. Past it the engine closes the oldest connection that has not made
    /// a request yet to let a newcomer in, and refuses the newcomer only when every connection is
    /// in use. Kestrel: MaxConcurrentConnections (it refuses newcomers).
    /// </summary>
    public int MaxConnections { get; set; } = 4096;

    /// <summary>Open connections from one remote address, with the same eviction (the engine; Kestrel has no such setting).</summary>
    public int MaxConnectionsPerAddress { get; set; } = 512;

    /// <summary>Streams (calls) open at once on one connection, handlers still running included. Kestrel: Http2.MaxStreamsPerConnection.</summary>
    public int MaxConcurrentStreams { get; set; } = 100;

    /// <summary>
    /// Streams a client may cancel while their handlers still run, or open past
    /// <see cref="MaxConcurrentStreams"/>, per second (bursts of ten times this allowed): the
    /// rapid-reset bound (CVE-2023-44487). Kestrel has its own rapid-reset bound.
    /// </summary>
    public int MaxStreamResetsPerSecond { get; set; } = 100;

    /// <summary>PING and SETTINGS frames a client may send per second (bursts of ten times this allowed). Kestrel has no such setting.</summary>
    public int MaxPingsAndSettingsPerSecond { get; set; } = 20;

    /// <summary>Bytes of one header block, compressed or decoded (the HPACK bomb bound). Kestrel: MaxRequestHeadersTotalSize.</summary>
    public int MaxHeaderListSize { get; set; } = 32 * 1024;

    /// <summary>HEADERS plus CONTINUATION frames in one header block, empty ones included (the CONTINUATION flood bound).</summary>
    public int MaxHeaderFrames { get; set; } = 32;

    /// <summary>The HPACK dynamic table a client may fill. Kestrel: Http2.HeaderTableSize.</summary>
    public int HeaderTableSize { get; set; } = 4096;

    /// <summary>
    /// Megabytes of request data received but not yet read by a handler, over all connections
    /// (each connection's flow-control window bounds its own share). Past it, the connection that
    /// sent the data is closed.
    /// </summary>
    public int MaxBufferedRequestMegabytes { get; set; } = 128;

    /// <summary>Replies (RST_STREAM, WINDOW_UPDATE, PING and SETTINGS acknowledgements) queued for a client that does not read them.</summary>
    public int MaxPendingControlFrames { get; set; } = 512;

    /// <summary>Seconds for the TLS handshake, the HTTP/2 preface and the first request (the slowloris bound). Kestrel: RequestHeadersTimeout.</summary>
    public double HandshakeTimeoutSeconds { get; set; } = 10;

    /// <summary>Seconds a connection may stay open without a call. Kestrel: KeepAliveTimeout.</summary>
    public double IdleTimeoutSeconds { get; set; } = 130;

    /// <summary>
    /// Seconds a message may stall half-received, or a write wait for a client that does not read
    /// (socket or flow-control window), before the stream or connection is dropped.
    /// Kestrel: MinRequestBodyDataRate and MinResponseDataRate (which gRPC streaming turns off).
    /// </summary>
    public double StallTimeoutSeconds { get; set; } = 15;

    /// <summary>Throws with the name of the first limit that cannot work.</summary>
    public void Validate()
    {
        Positive(MaxConnections, nameof(MaxConnections));
        Positive(MaxConnectionsPerAddress, nameof(MaxConnectionsPerAddress));
        Positive(MaxConcurrentStreams, nameof(MaxConcurrentStreams));
        Positive(MaxStreamResetsPerSecond, nameof(MaxStreamResetsPerSecond));
        Positive(MaxPingsAndSettingsPerSecond, nameof(MaxPingsAndSettingsPerSecond));
        Positive(MaxHeaderFrames, nameof(MaxHeaderFrames));
        Positive(MaxPendingControlFrames, nameof(MaxPendingControlFrames));
        Positive(MaxBufferedRequestMegabytes, nameof(MaxBufferedRequestMegabytes));
        if (MaxHeaderListSize < 1024)
        {
            throw new ArgumentException($"Transport limit {nameof(MaxHeaderListSize)}: {MaxHeaderListSize} is below 1024 bytes; gRPC requests would not fit.");
        }
        if (HeaderTableSize < 0)
        {
            throw new ArgumentException($"Transport limit {nameof(HeaderTableSize)}: {HeaderTableSize} must be 0 or more.");
        }
        foreach (var (value, name) in new[] { (HandshakeTimeoutSeconds, nameof(HandshakeTimeoutSeconds)), (IdleTimeoutSeconds, nameof(IdleTimeoutSeconds)), (StallTimeoutSeconds, nameof(StallTimeoutSeconds)) })
        {
            if (!(value > 0) || double.IsInfinity(value))
            {
                throw new ArgumentException($"Transport limit {name}: {value} must be a positive number of seconds.");
            }
        }
    }

    private static void Positive(int value, string name)
    {
        if (value < 1)
        {
            throw new ArgumentException($"Transport limit {name}: {value} must be at least 1.");
        }
    }
}
