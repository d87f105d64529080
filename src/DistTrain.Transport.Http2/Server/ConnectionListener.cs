using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DistTrain.Transport.Hosting;
using DistTrain.Transport.Http2.Framing;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Http2.Server;

/// <summary>
/// Accepts TCP connections on the listening sockets (within the connection limits, in all and
/// per remote address), does the TLS handshake (ALPN h2) when there is a certificate, and runs
/// one <see cref="Http2Connection"/> per connection, handing each new stream to the dispatcher.
/// A heartbeat enforces the connections' timeouts. Stopping sends GOAWAY and waits for running calls.
/// </summary>
internal sealed partial class ConnectionListener(
    IReadOnlyList<Socket> listeners,
    X509Certificate2? certificate,
    Http2Limits limits,
    ServerLimits serverLimits,
    CallDispatcher dispatcher,
    ILogger logger)
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);

    private readonly Lock _sync = new();
    private readonly HashSet<Http2Connection> _connections = [];
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    // Every accepted socket, oldest first: the ones that never made a request make room for newcomers.
    private readonly LinkedList<ConnectionSlot> _slots = [];
    private readonly List<Task> _serving = [];
    private readonly ReceiveBudget _budget = new((long)serverLimits.MaxBufferedRequestMegabytes << 20);
    private readonly LogThrottle _warnings = new(logger);
    private readonly CancellationTokenSource _heartbeatStop = new();
    private Task _accepting = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;
    private int _open;
    private bool _stopping;

    public void Start()
    {
        _accepting = Task.WhenAll(listeners.Select(AcceptLoopAsync));
        _heartbeat = HeartbeatAsync();
    }

    /// <summary>Request bytes waiting to be read, over every connection (for tests and metrics).</summary>
    public long BufferedRequestBytes => _budget.Used;

    private async Task HeartbeatAsync()
    {
        using var timer = new PeriodicTimer(Heartbeat);
        try
        {
            while (await timer.WaitForNextTickAsync(_heartbeatStop.Token).ConfigureAwait(false))
            {
                Http2Connection[] connections;
                lock (_sync)
                {
                    connections = [.. _connections];
                }
                foreach (var connection in connections)
                {
                    connection.CheckTimeouts();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>
    /// Stops accepting, sends GOAWAY on every connection, waits up to <paramref name="grace"/>
    /// for their calls to end, then aborts what is left (the handlers' tokens fire).
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Task[] serving;
        Http2Connection[] connections;
        lock (_sync)
        {
            _stopping = true;
            connections = [.. _connections];
        }
        foreach (var listener in listeners)
        {
            listener.Dispose();
        }
        await _accepting.ConfigureAwait(false);
        await _heartbeatStop.CancelAsync().ConfigureAwait(false);
        await _heartbeat.ConfigureAwait(false);
        var drained = Task.WhenAll(connections.Select(CloseWhenIdleAsync));
        await Task.WhenAny(drained, Task.Delay(grace)).ConfigureAwait(false);
        lock (_sync)
        {
            connections = [.. _connections];
            serving = [.. _serving];
        }
        foreach (var connection in connections)
        {
            connection.Abort(new Http2StreamException(Http2ErrorCode.Cancel, "The server stopped.", connectionLost: true));
        }
        await Task.WhenAll(serving).ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                lock (_sync)
                {
                    if (_stopping)
                    {
                        return;
                    }
                }
                LogAcceptFailed(logger, e.Message);
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }
            var remote = Address(socket.RemoteEndPoint);
            lock (_sync)
            {
                if (_stopping)
                {
                    socket.Dispose();
                    return;
                }
                var fromThere = remote is null ? 0 : _perAddress.GetValueOrDefault(remote);
                var full = _open >= serverLimits.MaxConnections;
                if (full || fromThere >= serverLimits.MaxConnectionsPerAddress)
                {
                    var limit = full
                        ? $"{serverLimits.MaxConnections} connections in all (MaxConnections)"
                        : $"{serverLimits.MaxConnectionsPerAddress} connections from one address (MaxConnectionsPerAddress)";
                    // Room is made by closing the oldest connection that has not made a request yet
                    // (silent or slow ones hold a place for nothing); only when there is none is the newcomer refused.
                    if (!EvictSilent(full ? null : remote))
                    {
                        _warnings.Warn(l => LogRefusedConnection(l, Peer(socket.RemoteEndPoint), limit));
                        socket.Dispose();
                        continue;
                    }
                    _warnings.Warn(l => LogEvicted(l, limit));
                }
                _open++;
                if (remote is not null)
                {
                    _perAddress[remote] = fromThere + 1;
                }
                var slot = _slots.AddLast(new ConnectionSlot(socket, remote));
                var serving = ServeAsync(slot.Value);
                _serving.Add(serving);
                _ = serving.ContinueWith(t =>
                {
                    lock (_sync)
                    {
                        _serving.Remove(t);
                        _slots.Remove(slot);
                        _open--;
                        if (remote is not null && --_perAddress[remote] == 0)
                        {
                            _perAddress.Remove(remote);
                        }
                    }
                }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Called under _sync: closes the oldest connection (from <paramref name="remote"/>, or any) that made no request; false when there is none.</summary>
    private bool EvictSilent(IPAddress? remote)
    {
        for (var node = _slots.First; node is not null; node = node.Next)
        {
            var slot = node.Value;
            if (slot.Evicted || (remote is not null && !remote.Equals(slot.Remote)) || slot.Connection is { RequestSeen: true })
            {
                continue;
            }
            slot.Evicted = true;
            if (slot.Connection is { } connection)
            {
                connection.Abort(new Http2StreamException(Http2ErrorCode.EnhanceYourCalm, "Closed to make room for a new connection: this one made no request.", connectionLost: true));
            }
            else
            {
                slot.Socket.Dispose();
            }
            return true;
        }
        return false;
    }

    private async Task ServeAsync(ConnectionSlot slot)
    {
        var socket = slot.Socket;
        await Task.Yield();
        var peer = Peer(socket.RemoteEndPoint);
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (certificate is not null)
            {
                stream = await HandshakeAsync(stream, peer).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _warnings.Warn(l => LogHandshakeFailed(l, peer, e.Message));
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }
        var transport = new FrameTransport(stream);
        var connection = new Http2Connection(transport, isServer: true, limits, peer, logger, s => dispatcher.HandleAsync(s, peer), _budget, _warnings);
        bool stopping;
        lock (_sync)
        {
            stopping = _stopping || slot.Evicted;
            if (!stopping)
            {
                _connections.Add(connection);
                slot.Connection = connection;
            }
        }
        if (stopping)
        {
            await transport.CloseAsync().ConfigureAwait(false);
            return;
        }
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_sync)
            {
                _connections.Remove(connection);
            }
        }
    }

    private async Task<Stream> HandshakeAsync(Stream stream, string peer)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(limits.HandshakeTimeout);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            ClientCertificateRequired = false,
        }, timeout.Token).ConfigureAwait(false);
        if (ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException($"{peer} did not negotiate HTTP/2 (ALPN h2).");
        }
        return ssl;
    }

    private static async Task CloseWhenIdleAsync(Http2Connection connection)
    {
        await connection.GoAwayAsync().ConfigureAwait(false);
        while (connection.ActiveStreams > 0 && !connection.Completion.IsCompleted)
        {
            await Task.Delay(IdlePoll).ConfigureAwait(false);
        }
        connection.Abort(new Http2StreamException(Http2ErrorCode.NoError, "The server is shutting down.", connectionLost: true));
    }

    private static IPAddress? Address(EndPoint? endPoint) =>
        endPoint is IPEndPoint ip ? (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) : null;

    private static string Peer(EndPoint? endPoint)
    {
        if (endPoint is not IPEndPoint ip)
        {
            return "unknown";
        }
        var address = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
        var port = ip.Port.ToString(CultureInfo.InvariantCulture);
        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"ipv6:[{address}]:{port}"
            : $"ipv4:{address}:{port}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting a connection failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closed the oldest connection that made no request, to let a new one in: already {Limit}")]
    private static partial void LogEvicted(ILogger logger, string limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a connection from {Peer}: already {Limit}")]
    private static partial void LogRefusedConnection(ILogger logger, string peer, string limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TLS handshake with {Peer} failed: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, string peer, string reason);

    /// <summary>One accepted socket and, once its handshake is done, its connection.</summary>
    private sealed class ConnectionSlot(Socket socket, IPAddress? remote)
    {
        public Socket Socket { get; } = socket;

        public IPAddress? Remote { get; } = remote;

        public Http2Connection? Connection { get; set; }

        public bool Evicted { get; set; }
    }
}
