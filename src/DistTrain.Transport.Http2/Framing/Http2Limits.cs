namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// What one end of a connection announces in its SETTINGS and enforces on what it receives.
/// Windows and frames are sized from the largest message, so a whole ~1 MB message travels as
/// one DATA frame without waiting for a WINDOW_UPDATE.
/// </summary>
internal sealed record Http2Limits(int StreamWindow, int ConnectionWindow, int MaxFrameSize, int MaxConcurrentStreams, int MaxHeaderListSize)
{
    public static Http2Limits ForMessages(int maxReceiveMessageSize, int maxConcurrentStreams = 256)
    {
        var frame = (int)Math.Clamp(maxReceiveMessageSize + 5L + 64, FrameHeader.DefaultMaxFrameSize, FrameHeader.LargestMaxFrameSize);
        var stream = (int)Math.Clamp(2L * (maxReceiveMessageSize + 5L), 1L << 20, int.MaxValue);
        var connection = (int)Math.Min(4L * stream, int.MaxValue);
        return new Http2Limits(stream, connection, frame, maxConcurrentStreams, 64 * 1024);
    }
}
