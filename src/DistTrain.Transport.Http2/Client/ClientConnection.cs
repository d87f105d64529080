using System.Net.Security;
using System.Security.Authentication;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DistTrain.Transport.Http2.Framing;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2.Client;

/// <summary>
/// The channel's HTTP/2 connection: opened on first use (TCP, then TLS with ALPN h2 for
/// https://), shared by all calls, and replaced by a new one when it fails or the server sends
/// GOAWAY.
/// </summary>
internal sealed class ClientConnection(Uri address, GrpcClientOptions options, ILogger? logger)
{
    private static readonly SslApplicationProtocol[] Http2Only = [SslApplicationProtocol.Http2];

    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Http2Limits _limits = Http2Limits.ForClient(options.MaxReceiveMessageSize);
    private Http2Connection? _current;
    private bool _disposed;

    public string Authority { get; } = address.IsDefaultPort ? address.Host : $"{address.Host}:{address.Port}";

    public string Scheme { get; } = address.Scheme;

    /// <summary>The open connection, or a new one. Throws <see cref="RpcException"/> UNAVAILABLE when the server cannot be reached.</summary>
    public async Task<Http2Connection> GetAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current);
        if (current is not null && current.CanStartStreams)
        {
            return current;
        }
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            current = _current;
            if (current is not null && current.CanStartStreams)
            {
                return current;
            }
            var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            _ = connection.RunAsync();
            Volatile.Write(ref _current, connection);
            if (Volatile.Read(ref _disposed))
            {
                // Closed while we connected.
                connection.Abort(new Http2StreamException(Http2ErrorCode.Cancel, "The channel was disposed.", connectionLost: true));
                ObjectDisposedException.ThrowIf(true, this);
            }
            if (current is not null && current.ActiveStreams == 0)
            {
                await current.DisposeAsync().ConfigureAwait(false);
            }
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<Http2Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream stream;
        try
        {
            await socket.ConnectAsync(address.Host, address.Port, timeout.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (address.Scheme == Uri.UriSchemeHttps)
            {
                stream = await AuthenticateAsync(stream, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or AuthenticationException)
        {
            socket.Dispose();
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            var reason = e is OperationCanceledException ? $"no answer within {options.ConnectTimeout.TotalSeconds:0.#} s" : e.Message;
            throw new RpcException(new Status(StatusCode.Unavailable, $"Error connecting to {address.GetLeftPart(UriPartial.Authority)}: {reason}", e));
        }
        var transport = new FrameTransport(stream);
        return new Http2Connection(transport, isServer: false, _limits, address.GetLeftPart(UriPartial.Authority), logger);
    }

    private async Task<Stream> AuthenticateAsync(Stream stream, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = address.IdnHost,
            ApplicationProtocols = [.. Http2Only],
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
            authentication.CertificateChainPolicy = policy;
        }
        await ssl.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
        if (ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException("The server did not agree to HTTP/2 (ALPN h2).");
        }
        return ssl;
    }

    /// <summary>
    /// Closes the connection without waiting on the network (no GOAWAY): disposing must not
    /// block a thread-pool thread on a peer that does not read.
    /// </summary>
    public void Close()
    {
        Volatile.Write(ref _disposed, true);
        Volatile.Read(ref _current)?.Abort(new Http2StreamException(Http2ErrorCode.Cancel, "The channel was disposed.", connectionLost: true));
    }
}
