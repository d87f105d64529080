namespace DistTrain.Transport.AspNetCore;

/// <summary>
/// HTTP/2 settings for megabyte messages, on both ends. The defaults (a 64 KiB stream window
/// on the client, 768 KiB/1 MiB on Kestrel) make a 1 MB message wait for
/// several WINDOW_UPDATE round trips; windows of twice the largest message let a whole message
/// travel without waiting. docs/transport.md has what each setting bought.
/// </summary>
public static class Http2Tuning
{
    /// <summary>Kestrel's and SocketsHttpHandler's upper bound for a window setting.</summary>
    private const int LargestWindow = int.MaxValue;

    /// <summary>The stream receive window: room for two of the largest messages (at least 1 MiB).</summary>
    public static int StreamWindow(int maxMessageSize) =>
        (int)Math.Clamp(2L * (maxMessageSize + 5L), 1L << 20, LargestWindow);

    /// <summary>The connection receive window: four streams' worth.</summary>
    public static int ConnectionWindow(int maxMessageSize) =>
        (int)Math.Min(4L * StreamWindow(maxMessageSize), LargestWindow);
}
