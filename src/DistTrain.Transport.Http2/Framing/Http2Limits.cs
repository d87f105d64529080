namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// What one end of a connection announces in its SETTINGS and enforces on what it receives.
/// Windows and frames are sized from the largest message, so a whole ~1 MB message travels as
/// one DATA frame without waiting for a WINDOW_UPDATE. A server adds the bounds of
/// <see cref="ServerLimits"/> on what a peer may make it do.
/// </summary>
internal sealed record Http2Limits(
    int StreamWindow,
    int ConnectionWindow,
    int MaxFrameSize,
    int MaxConcurrentStreams,
    int MaxHeaderListSize,
    int MaxHeaderFrames,
    int HeaderTableSize,
    int MaxStreamResetsPerSecond,
    int MaxPingsAndSettingsPerSecond,
    int MaxPendingControlFrames,
    TimeSpan HandshakeTimeout,
    TimeSpan IdleTimeout,
    TimeSpan StallTimeout)
{
    /// <summary>Settings frames carry at most this many settings from a well-behaved peer (RFC 9113 defines six).</summary>
    public const int MaxSettingsPayload = 6 * 32;

    /// <summary>A GOAWAY's debug data beyond this is skipped unread.</summary>
    public const int MaxGoAwayPayload = 8 + 1024;

    /// <summary>
    /// The largest DATA frame a server accepts. A frame's whole length is taken from the pool
    /// when it starts (so a message arriving in one frame stays in one block), so a peer that
    /// starts large frames and never finishes them holds that much each; 2 MiB takes a training
    /// message of the default model (about 1 MB) in one frame, and larger ones in a few.
    /// </summary>
    public const int MaxServerFrameSize = 2 * 1024 * 1024;

    /// <summary>A server's limits: windows for its messages, bounds from <paramref name="limits"/>.</summary>
    public static Http2Limits ForServer(int maxReceiveMessageSize, ServerLimits limits)
    {
        var stream = StreamWindowFor(maxReceiveMessageSize);
        return new Http2Limits(
            stream,
            // Two messages in flight on one connection: a worker sends one result at a time.
            (int)Math.Min(2L * stream, int.MaxValue),
            Math.Min(FrameSizeFor(maxReceiveMessageSize), MaxServerFrameSize),
            limits.MaxConcurrentStreams,
            limits.MaxHeaderListSize,
            limits.MaxHeaderFrames,
            limits.HeaderTableSize,
            limits.MaxStreamResetsPerSecond,
            limits.MaxPingsAndSettingsPerSecond,
            limits.MaxPendingControlFrames,
            TimeSpan.FromSeconds(limits.HandshakeTimeoutSeconds),
            TimeSpan.FromSeconds(limits.IdleTimeoutSeconds),
            TimeSpan.FromSeconds(limits.StallTimeoutSeconds));
    }

    /// <summary>A client's limits: windows for its messages; it only talks to the server it chose.</summary>
    public static Http2Limits ForClient(int maxReceiveMessageSize)
    {
        var stream = StreamWindowFor(maxReceiveMessageSize);
        var defaults = new ServerLimits();
        return new Http2Limits(
            stream,
            (int)Math.Min(4L * stream, int.MaxValue),
            FrameSizeFor(maxReceiveMessageSize),
            MaxConcurrentStreams: 0,
            defaults.MaxHeaderListSize * 2,
            defaults.MaxHeaderFrames,
            defaults.HeaderTableSize,
            MaxStreamResetsPerSecond: int.MaxValue,
            MaxPingsAndSettingsPerSecond: defaults.MaxPingsAndSettingsPerSecond,
            MaxPendingControlFrames: defaults.MaxPendingControlFrames * 4,
            HandshakeTimeout: Timeout.InfiniteTimeSpan,
            IdleTimeout: Timeout.InfiniteTimeSpan,
            StallTimeout: Timeout.InfiniteTimeSpan);
    }

    private static int StreamWindowFor(int maxReceiveMessageSize) =>
        (int)Math.Clamp(2L * (maxReceiveMessageSize + 5L), 1L << 20, int.MaxValue);

    private static int FrameSizeFor(int maxReceiveMessageSize) =>
        (int)Math.Clamp(maxReceiveMessageSize + 5L + 64, FrameHeader.DefaultMaxFrameSize, FrameHeader.LargestMaxFrameSize);
}
