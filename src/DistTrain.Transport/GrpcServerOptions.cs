namespace DistTrain.Transport;

/// <summary>What every server transport is told: where to listen, TLS, message limits, the bearer token.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>http:// = cleartext HTTP/2 (h2c, prior knowledge), https:// = TLS with ALPN h2. Port 0 picks a free port.</summary>
    public string ListenUrl { get; set; } = "http://127.0.0.1:0";

    /// <summary>PEM certificate (with <see cref="CertificateKeyPath"/>) or a .pfx file, for https://.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>; null when the key is inside the file.</summary>
    public string? CertificateKeyPath { get; set; }

    public int MaxReceiveMessageSize { get; set; } = MessageSizing.Default;

    public int MaxSendMessageSize { get; set; } = MessageSizing.Default;

    /// <summary>
    /// When set, every call except grpc.health.v1.Health/* must carry "authorization: Bearer &lt;token&gt;",
    /// checked before the method is looked up; other calls end with UNAUTHENTICATED.
    /// </summary>
    public string? AuthToken { get; set; }

    /// <summary>What one peer may cost the server (connections, streams, resets, header sizes, timeouts).</summary>
    public ServerLimits Limits { get; set; } = new();
}
