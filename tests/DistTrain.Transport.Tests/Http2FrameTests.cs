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
}
