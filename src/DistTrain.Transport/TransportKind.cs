namespace DistTrain.Transport;

/// <summary>Which implementation carries the gRPC calls; both speak the same wire protocol and API.</summary>
public enum TransportKind
{
    /// <summary>Grpc.AspNetCore on Kestrel (server) and Grpc.Net.Client (client): the reference.</summary>
    AspNetCore,

    /// <summary>DistTrain's own HTTP/2 engine behind the same Grpc.Core.Api types: the fast path for large messages.</summary>
    Fast,
}

public static class TransportKinds
{
    /// <summary>The names used on the command line and in configuration (Transport__Kind).</summary>
    public static string Name(TransportKind kind) => kind == TransportKind.AspNetCore ? "aspnetcore" : "fast";

    public static bool TryParse(string? text, out TransportKind kind)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "aspnetcore":
                kind = TransportKind.AspNetCore;
                return true;
            case "fast":
                kind = TransportKind.Fast;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}
