using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DistTrain.Rpc;

/// <summary>
/// Kestrel settings for connections whose HTTP/2 we speak ourselves: transport buffers that
/// hold a whole frame (the read loop waits for complete frames, so pausing the socket below a
/// frame's size would stall it), and no data-rate limits (a training stream may be idle between rounds).
/// </summary>
internal static class KestrelTuning
{
    public static void Apply(KestrelServerOptions kestrel, Http2.Http2Limits limits)
    {
        kestrel.AddServerHeader = false;
        var kestrelLimits = kestrel.Limits;
        var buffer = 2L * limits.MaxFrameSize + (64 * 1024);
        kestrelLimits.MaxRequestBufferSize = buffer;
        kestrelLimits.MaxResponseBufferSize = buffer;
        kestrelLimits.MinRequestBodyDataRate = null;
        kestrelLimits.MinResponseDataRate = null;
    }
}
