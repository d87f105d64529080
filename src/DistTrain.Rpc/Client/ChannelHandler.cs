using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace DistTrain.Rpc;

/// <summary>
/// The SocketsHttpHandler under a channel: HTTP/2 with windows sized for ~1 MB messages, more
/// connections when one is at its stream limit, keep-alive pings, and optional trust of a
/// private CA for TLS.
/// </summary>
internal static class ChannelHandler
{
    public static SocketsHttpHandler Create(GrpcChannelOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // A whole message may be in flight before the reader catches up; the handler
            // still grows the window further from measured bandwidth-delay product.
            InitialHttp2StreamWindowSize = (int)Math.Clamp(2L * options.MaxReceiveMessageSize, 1L << 20, 1L << 24),
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = options.ConnectTimeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        if (!string.IsNullOrEmpty(options.TrustedCaCertificatePath))
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(options.TrustedCaCertificatePath);
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(roots);
            handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        }
        return handler;
    }
}
