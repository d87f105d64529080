using DistTrain.Transport;
using DistTrain.Transport.AspNetCore;
using DistTrain.Transport.Http2;

namespace DistTrain.Cli.Hosting;

/// <summary>The one place that knows which class implements which transport.</summary>
public static class Transports
{
    public static IGrpcTransport For(TransportKind kind) => kind switch
    {
        TransportKind.Fast => new EngineTransport(),
        _ => new AspNetCoreTransport(),
    };
}
