using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DistTrain.Rpc;

/// <summary>
/// Kestrel limits for long-lived gRPC streams carrying ~1 MB messages: HTTP/2 windows large
/// enough that a whole message is in flight without waiting for WINDOW_UPDATEs, no body size
/// or minimum data-rate limits (a training stream may be idle between rounds), keep-alive pings
/// to notice dead peers.
/// </summary>
internal static class KestrelTuning
{
    public static void Apply(KestrelServerOptions kestrel, GrpcServerOptions options)
    {
        kestrel.AddServerHeader = false;
        var limits = kestrel.Limits;
        limits.MaxRequestBodySize = null;
        limits.MinRequestBodyDataRate = null;
        limits.MinResponseDataRate = null;

        var http2 = limits.Http2;
        var window = Math.Clamp(2L * options.MaxReceiveMessageSize, 1L << 20, 1L << 30);
        http2.InitialStreamWindowSize = (int)window;
        http2.InitialConnectionWindowSize = (int)Math.Min(2 * window, int.MaxValue);
        // Larger frames from clients that honour it mean fewer frame headers per message.
        http2.MaxFrameSize = (1 << 24) - 1;
        http2.MaxStreamsPerConnection = 256;
        http2.KeepAlivePingDelay = TimeSpan.FromSeconds(60);
        http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(30);
    }
}
