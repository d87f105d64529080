using Microsoft.Extensions.Logging;

namespace DistTrain.Rpc;

public sealed class GrpcChannelOptions
{
    public int MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    public int MaxSendMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Sent as "authorization: Bearer &lt;token&gt;" on every call.</summary>
    public string? AuthToken { get; set; }

    /// <summary>PEM file of CA (or self-signed) certificates to trust for https:// addresses, instead of the system store.</summary>
    public string? TrustedCaCertificatePath { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where failed calls are logged (debug level); none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
