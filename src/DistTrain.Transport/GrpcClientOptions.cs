using Microsoft.Extensions.Logging;

namespace DistTrain.Transport;

/// <summary>What every client transport is told: message limits, the bearer token, the CA to trust.</summary>
public sealed class GrpcClientOptions
{
    public int MaxReceiveMessageSize { get; set; } = MessageSizing.Default;

    public int MaxSendMessageSize { get; set; } = MessageSizing.Default;

    /// <summary>Sent as "authorization: Bearer &lt;token&gt;" on every call.</summary>
    public string? AuthToken { get; set; }

    /// <summary>PEM file of CA (or self-signed) certificates to trust for https:// addresses, instead of the system store.</summary>
    public string? TrustedCaCertificatePath { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where the transport logs (failed calls at debug level); none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
