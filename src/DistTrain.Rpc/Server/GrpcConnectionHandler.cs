using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DistTrain.Rpc.Http2;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace DistTrain.Rpc;

/// <summary>
/// Kestrel hands us each accepted connection (after TLS, when configured); we speak HTTP/2 on
/// it ourselves and hand each new stream to the dispatcher. When the server stops, connections
/// get GOAWAY and close once their calls end; Kestrel aborts what is left after the grace period.
/// </summary>
internal sealed class GrpcConnectionHandler(CallDispatcher dispatcher, Http2Limits limits, ILogger logger)
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(50);

    public async Task OnConnectedAsync(ConnectionContext connection)
    {
        var peer = Peer(connection.RemoteEndPoint);
        var http2 = new Http2Connection(connection.Transport, isServer: true, limits, peer, logger, stream => dispatcher.HandleAsync(stream, peer));
        var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var closing = closeRequested.Register(() => _ = CloseWhenIdleAsync(http2));
        using var closed = connection.ConnectionClosed.Register(() => http2.Abort(
            new Http2StreamException(Http2ErrorCode.Cancel, "The server closed the connection.", connectionLost: true)));
        await http2.RunAsync().ConfigureAwait(false);
    }

    private static async Task CloseWhenIdleAsync(Http2Connection http2)
    {
        await http2.GoAwayAsync().ConfigureAwait(false);
        while (http2.ActiveStreams > 0 && !http2.Completion.IsCompleted)
        {
            await Task.Delay(IdlePoll).ConfigureAwait(false);
        }
        http2.Abort(new Http2StreamException(Http2ErrorCode.NoError, "The server is shutting down.", connectionLost: true));
    }

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
}
