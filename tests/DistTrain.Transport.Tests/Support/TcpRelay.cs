using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DistTrain.Transport.Tests.Support;

/// <summary>
/// Forwards loopback TCP connections to a target port and can cut them all at once, the way a
/// crashed peer or a broken network would.
/// </summary>
public sealed class TcpRelay : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();

    public TcpRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        _ = AcceptLoopAsync();
    }

    public string Address => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";

    /// <summary>Resets every relayed connection (RST, no FIN), both towards the client and the server.</summary>
    public void CutAll()
    {
        foreach (var socket in _sockets)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        CutAll();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                _sockets.Add(client);
                _sockets.Add(server);
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Relay stopped.
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // One side was cut; the other follows.
        }
    }
}
