using DistTrain.Transport.AspNetCore;
using DistTrain.Transport.Http2;

namespace DistTrain.Transport.Tests.Support;

/// <summary>The transports every shared test runs against, by their command-line names.</summary>
public static class TransportNames
{
    public const string AspNetCore = "aspnetcore";
    public const string Fast = "fast";

    /// <summary>Each transport on both ends.</summary>
    public static TheoryData<string> Each => [AspNetCore, Fast];

    /// <summary>Every client transport against every server transport.</summary>
    public static TheoryData<string, string> Pairs => new()
    {
        { AspNetCore, AspNetCore },
        { AspNetCore, Fast },
        { Fast, AspNetCore },
        { Fast, Fast },
    };

    public static IGrpcTransport Create(string name) => name switch
    {
        AspNetCore => new AspNetCoreTransport(),
        Fast => new EngineTransport(),
        _ => throw new ArgumentException($"unknown transport {name}", nameof(name)),
    };
}
