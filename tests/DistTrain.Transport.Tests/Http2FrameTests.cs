using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DistTrain.Transport.Http2.Framing;
using DistTrain.Transport.Tests.Support;

namespace DistTrain.Transport.Tests;

/// <summary>
/// The server's HTTP/2 layer fed hand-made frames over a real socket: it answers PING, and
/// each protocol violation ends the connection with GOAWAY naming the RFC 9113 error code,
/// leaves a log line, and the server keeps serving others.
/// </summary>
public sealed class Http2FrameTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Ping_is_answered_with_the_same_payload()
    {
        await using var server = await TestServer.StartAsync(TransportNames.Fast);
        using var peer = await RawPeer.ConnectAsync(server.Port);
        var payload = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        await peer.SendAsync(new FrameHeader(8, FrameType.Ping, 0, 0), payload);
        var (header, body) = await peer.ReadUntilAsync(h => h.Type == FrameType.Ping);
        Assert.True(header.Has(FrameFlags.Ack));
        Assert.Equal(payload, body);
    }

    [Theory]
    [InlineData("data on stream 0", (uint)Http2ErrorCode.ProtocolError)]
    [InlineData("frame over the maximum size", (uint)Http2ErrorCode.FrameSizeError)]
    [InlineData("window overflow", (uint)Http2ErrorCode.FlowControlError)]
    [InlineData("headers on an even stream", (uint)Http2ErrorCode.ProtocolError)]
    [InlineData("undecodable header block", (uint)Http2ErrorCode.CompressionError)]
    [InlineData("ping of the wrong size", (uint)Http2ErrorCode.FrameSizeError)]
    public async Task Protocol_violations_end_the_connection_with_goaway(string violation, uint expectedCode)
    {
        var expected = (Http2ErrorCode)expectedCode;
        await using var server = await TestServer.StartAsync(TransportNames.Fast);
        using var peer = await RawPeer.ConnectAsync(server.Port);
        var (header, payload) = violation switch
        {
            "data on stream 0" => (new FrameHeader(4, FrameType.Data, 0, 0), new byte[4]),
            "frame over the maximum size" => (new FrameHeader(FrameHeader.LargestMaxFrameSize, FrameType.Data, 0, 1), Array.Empty<byte>()),
            "window overflow" => (new FrameHeader(4, FrameType.WindowUpdate, 0, 0), new byte[] { 0x7F, 0xFF, 0xFF, 0xFF }),
            "headers on an even stream" => (new FrameHeader(1, FrameType.Headers, FrameFlags.EndHeaders, 2), new byte[] { 0x83 }),
            "undecodable header block" => (new FrameHeader(1, FrameType.Headers, FrameFlags.EndHeaders, 1), new byte[] { 0x80 }),
            _ => (new FrameHeader(3, FrameType.Ping, 0, 0), new byte[3]),
        };
        await peer.SendAsync(header, payload);
        var (goAway, body) = await peer.ReadUntilAsync(h => h.Type == FrameType.GoAway);
        Assert.Equal(expected, (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(4)));
        Assert.True(await peer.ClosedAsync(), "the server kept the connection open after GOAWAY");
        Assert.True(await server.Logs.WaitForAsync(e => e.Category.EndsWith("Http2Connection", StringComparison.Ordinal) && e.Message.Contains(expected.ToString(), StringComparison.Ordinal)));
        using var channel = server.Channel();
        var reply = await new Testing.Echo.EchoClient(channel.CallInvoker).UnaryAsync(new Testing.EchoRequest { Text = "ok" });
        Assert.Equal("ko", reply.Text);
    }

    /// <summary>A client that has sent the preface and SETTINGS, and speaks raw frames.</summary>
    private sealed class RawPeer : IDisposable
    {
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

        public void Dispose()
        {
            _stream.Dispose();
            _socket.Dispose();
        }
    }
}
