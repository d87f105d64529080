using System.Net;
using System.Net.Sockets;
using DistTrain.Transport.Http2.Framing;

namespace DistTrain.Transport.Tests.Support;

/// <summary>A client that has sent the preface and SETTINGS, and speaks raw frames.</summary>
internal sealed class RawPeer : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private RawPeer(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket);
    }

    public static async Task<RawPeer> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var peer = new RawPeer(socket);
        await peer._stream.WriteAsync(Http2Connection.Preface.ToArray());
        await peer.SendAsync(new FrameHeader(0, FrameType.Settings, 0, 0), []);
        return peer;
    }

    public async Task SendAsync(FrameHeader header, byte[] payload)
    {
        var bytes = new byte[FrameHeader.Size + payload.Length];
        header.Write(bytes);
        payload.CopyTo(bytes, FrameHeader.Size);
        await _stream.WriteAsync(bytes);
    }

    /// <summary>Reads frames until one matches; fails the test if the connection ends first.</summary>
    public async Task<(FrameHeader Header, byte[] Payload)> ReadUntilAsync(Func<FrameHeader, bool> wanted)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var head = new byte[FrameHeader.Size];
        while (true)
        {
            await _stream.ReadExactlyAsync(head, timeout.Token);
            var header = FrameHeader.Read(head);
            var payload = new byte[header.Length];
            await _stream.ReadExactlyAsync(payload, timeout.Token);
            if (wanted(header))
            {
                return (header, payload);
            }
        }
    }

    public async Task<bool> ClosedAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A request's HEADERS (HPACK literals, never indexed), with or without END_STREAM.</summary>
    public Task SendRequestAsync(int streamId, string path, bool endStream, params (string Name, string Value)[] extra)
    {
        var block = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var (name, value) in new[] { (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers") }.Concat(extra))
        {
            HpackEncoder.Write(block, name, value);
        }
        var flags = (byte)(FrameFlags.EndHeaders | (endStream ? FrameFlags.EndStream : 0));
        return SendAsync(new FrameHeader(block.WrittenCount, FrameType.Headers, flags, streamId), block.WrittenSpan.ToArray());
    }

    /// <summary>The bytes of <paramref name="frames"/> in one write (as an attacker batches them).</summary>
    public async Task SendManyAsync(IEnumerable<(FrameHeader Header, byte[] Payload)> frames)
    {
        using var all = new MemoryStream();
        foreach (var (header, payload) in frames)
        {
            var head = new byte[FrameHeader.Size];
            header.Write(head);
            all.Write(head);
            all.Write(payload);
        }
        await _stream.WriteAsync(all.ToArray());
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}
