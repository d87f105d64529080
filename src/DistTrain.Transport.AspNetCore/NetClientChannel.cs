using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using DistTrain.Transport.Hosting;
using Grpc.Net.Client;

namespace DistTrain.Transport.AspNetCore;

/// <summary>
/// Grpc.Net.Client's <see cref="GrpcChannel"/> for an address: h2c for http://, TLS for https://
/// (trusting a given CA when asked), the bearer token on every call, windows sized for the
/// largest message.
/// </summary>
internal static class NetClientChannel
{
    public static GrpcChannel Create(string address, GrpcClientOptions options, bool tuneWindow)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"'{address}' is not an http:// or https:// address such as http://127.0.0.1:50051.");
        }
        var sockets = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };
        if (tuneWindow)
        {
            // SocketsHttpHandler takes at most 16 MiB here.
            sockets.InitialHttp2StreamWindowSize = Math.Min(Http2Tuning.StreamWindow(options.MaxReceiveMessageSize), 16 * 1024 * 1024);
        }
        if (!string.IsNullOrEmpty(options.TrustedCaCertificatePath))
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(options.TrustedCaCertificatePath);
            sockets.SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck,
                    CustomTrustStore = { },
                },
            };
            sockets.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }
        HttpMessageHandler handler = string.IsNullOrEmpty(options.AuthToken)
            ? sockets
            : new BearerTokenHandler(options.AuthToken) { InnerHandler = sockets };
        return GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.MaxReceiveMessageSize,
            MaxSendMessageSize = options.MaxSendMessageSize,
            LoggerFactory = options.LoggerFactory,
            // No retries: the training protocol re-dispatches shards itself, and a retry buffer copies every message.
            MaxRetryAttempts = 0,
        });
    }

    /// <summary>Adds "authorization: Bearer &lt;token&gt;" to every call, also over h2c (call credentials would need TLS).</summary>
    private sealed class BearerTokenHandler(string token) : DelegatingHandler
    {
        private readonly string _value = BearerTokenCheck.Prefix + token;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation(BearerTokenCheck.HeaderName, _value);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
