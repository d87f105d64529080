using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DistTrain.Transport.Http2.Framing;
using DistTrain.Transport.Testing;
using DistTrain.Transport.Tests.Support;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Transport.Tests;

/// <summary>
/// The engine's bounds on what one peer may cost it (<see cref="ServerLimits"/>), each driven
/// past its limit over a real socket: the peer gets GOAWAY with the RFC's error code (or its
/// stream reset, or its connection refused), and the server goes on serving everyone else.
/// The abuse suite (tests/DistTrain.Abuse.Tests) runs the same attacks against a training coordinator.
/// </summary>
public sealed class HardeningTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_well_behaved_client_keeps_its_window_after_any_number_of_rejected_calls()
    {
        // Small messages make a small window: 1 MB per stream, 2 MB for the connection.
        var options = new GrpcServerOptions { AuthToken = "right", MaxReceiveMessageSize = 100_000, MaxSendMessageSize = 100_000 };
        await using var server = await TestServer.StartAsync(TransportNames.Fast, options);
        using var peer = await RawPeer.ConnectAsync(server.Port);
        var body = new byte[60_000];
        // 100 calls without the token, each sending 60 KB: 6 MB, three times the connection window.
        for (var i = 0; i < 100; i++)
        {
            var stream = 1 + (2 * i);
            await peer.SendRequestAsync(stream, EchoService.UnaryPath, endStream: false);
            await peer.SendAsync(new FrameHeader(body.Length, FrameType.Data, FrameFlags.EndStream, stream), body);
            var (_, headers) = await peer.ReadUntilAsync(h => h.Type == FrameType.Headers && h.StreamId == stream);
            Assert.NotEmpty(headers);
        }
        // The same connection, now with the token: the request body must still get through.
        var request = new EchoRequest { Text = "still open" }.ToByteArray();
        var framed = new byte[5 + request.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)request.Length);
        request.CopyTo(framed, 5);
        await peer.SendRequestAsync(201, EchoService.UnaryPath, endStream: false, ("authorization", "Bearer right"));
        await peer.SendAsync(new FrameHeader(framed.Length, FrameType.Data, FrameFlags.EndStream, 201), framed);
        var (_, reply) = await peer.ReadUntilAsync(h => h.Type == FrameType.Data && h.StreamId == 201);
        Assert.Equal("nepo llits", EchoReply.Parser.ParseFrom(reply.AsSpan(5)).Text);
    }

    [Fact]
    public async Task Rapid_reset_gets_enhance_your_calm_and_others_are_still_served()
    {
        var limits = new ServerLimits { MaxStreamResetsPerSecond = 10 };
        await using var server = await TestServer.StartAsync(TransportNames.Fast, new GrpcServerOptions { Limits = limits });
        using var peer = await RawPeer.ConnectAsync(server.Port);
        // HEADERS then RST_STREAM, over and over (CVE-2023-44487); the burst allows 100.
        var frames = new List<(FrameHeader, byte[])>();
        for (var i = 0; i < 300; i++)
        {
            var stream = 1 + (2 * i);
            frames.AddRange(await HeadersAndReset(stream));
        }
        await peer.SendManyAsync(frames);
        await AssertGoAwayAsync(peer, Http2ErrorCode.EnhanceYourCalm);
        await AssertStillServingAsync(server);
        Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("MaxStreamResetsPerSecond", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData((byte)FrameType.Ping)]
    [InlineData((byte)FrameType.Settings)]
    public async Task Ping_and_settings_floods_get_enhance_your_calm(byte type)
    {
        var limits = new ServerLimits { MaxPingsAndSettingsPerSecond = 5 };
        await using var server = await TestServer.StartAsync(TransportNames.Fast, new GrpcServerOptions { Limits = limits });
        using var peer = await RawPeer.ConnectAsync(server.Port);
        var frame = (FrameType)type == FrameType.Ping
            ? (new FrameHeader(8, FrameType.Ping, 0, 0), new byte[8])
            : (new FrameHeader(0, FrameType.Settings, 0, 0), Array.Empty<byte>());
        await peer.SendManyAsync(Enumerable.Repeat(frame, 200));
        await AssertGoAwayAsync(peer, Http2ErrorCode.EnhanceYourCalm);
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Empty_continuation_frames_are_counted()
    {
        await using var server = await TestServer.StartAsync(TransportNames.Fast);
        using var peer = await RawPeer.ConnectAsync(server.Port);
        // HEADERS without END_HEADERS, then empty CONTINUATIONs that never end the block.
        var frames = new List<(FrameHeader, byte[])> { (new FrameHeader(0, FrameType.Headers, 0, 1), []) };
        frames.AddRange(Enumerable.Repeat((new FrameHeader(0, FrameType.Continuation, 0, 1), Array.Empty<byte>()), 1000));
        await peer.SendManyAsync(frames);
        var body = await AssertGoAwayAsync(peer, Http2ErrorCode.EnhanceYourCalm);
        Assert.Contains("MaxHeaderFrames", System.Text.Encoding.UTF8.GetString(body.AsSpan(8)), StringComparison.Ordinal);
        await AssertStillServingAsync(server);
    }

    [Theory]
    [InlineData((byte)FrameType.Ping, (uint)Http2ErrorCode.FrameSizeError)]
    [InlineData((byte)FrameType.Headers, (uint)Http2ErrorCode.EnhanceYourCalm)]
    [InlineData((byte)FrameType.Settings, (uint)Http2ErrorCode.EnhanceYourCalm)]
    public async Task A_large_frame_of_a_small_type_is_refused_from_its_header(byte type, uint code)
    {
        await using var server = await TestServer.StartAsync(TransportNames.Fast);
        using var peer = await RawPeer.ConnectAsync(server.Port);
        // A 1 MB frame header whose payload never comes: the answer must not wait for it.
        var length = (FrameType)type == FrameType.Settings ? 600_000 : 1_000_000;
        await peer.SendAsync(new FrameHeader(length, (FrameType)type, 0, (FrameType)type == FrameType.Headers ? 1 : 0), []);
        await AssertGoAwayAsync(peer, (Http2ErrorCode)code);
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Unknown_frame_types_are_skipped_unread()
    {
        await using var server = await TestServer.StartAsync(TransportNames.Fast);
        using var peer = await RawPeer.ConnectAsync(server.Port);
        await peer.SendAsync(new FrameHeader(100_000, (FrameType)0xEE, 0, 0), new byte[100_000]);
        var ping = new byte[] { 9, 8, 7, 6, 5, 4, 3, 2 };
        await peer.SendAsync(new FrameHeader(8, FrameType.Ping, 0, 0), ping);
        var (header, body) = await peer.ReadUntilAsync(h => h.Type == FrameType.Ping);
        Assert.True(header.Has(FrameFlags.Ack));
        Assert.Equal(ping, body);
    }

    [Fact]
    public async Task Connections_past_the_per_address_limit_are_closed_at_once()
    {
        var limits = new ServerLimits { MaxConnectionsPerAddress = 3 };
        await using var server = await TestServer.StartAsync(TransportNames.Fast, new GrpcServerOptions { Limits = limits });
        var held = new List<RawPeer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                // Each in use: a call open on it.
                var peer = await RawPeer.ConnectAsync(server.Port);
                await peer.SendRequestAsync(1, EchoService.ChatPath, endStream: false);
                // A PING answered means the server has read the request before it.
                await peer.SendAsync(new FrameHeader(8, FrameType.Ping, 0, 0), new byte[8]);
                await peer.ReadUntilAsync(h => h.Type == FrameType.Ping);
                held.Add(peer);
            }
            using var fourth = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await fourth.ConnectAsync(IPAddress.Loopback, server.Port);
            Assert.True(await ClosedAsync(fourth), "the fourth connection from one address stayed open");
            Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("MaxConnectionsPerAddress", StringComparison.Ordinal)));
        }
        finally
        {
            held.ForEach(p => p.Dispose());
        }
        // Closing them frees their places (once the server has noticed they are gone).
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await AssertStillServingAsync(server);
                break;
            }
            catch (RpcException) when (clock.Elapsed < Patience)
            {
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task A_connection_that_made_no_request_makes_room_for_a_newcomer_past_the_limit()
    {
        var limits = new ServerLimits { MaxConnectionsPerAddress = 3 };
        await using var server = await TestServer.StartAsync(TransportNames.Fast, new GrpcServerOptions { Limits = limits });
        var silent = new List<RawPeer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                silent.Add(await RawPeer.ConnectAsync(server.Port));
            }
            // A client with something to ask gets in; the oldest silent connection is closed for it.
            await AssertStillServingAsync(server);
            Assert.True(await silent[0].ClosedAsync(), "the oldest silent connection was kept");
            Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("made no request", StringComparison.Ordinal)));
        }
        finally
        {
            silent.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task A_connection_that_never_sends_a_request_is_closed_after_the_handshake_timeout()
    {
        var limits = new ServerLimits { HandshakeTimeoutSeconds = 1 };
        await using var server = await TestServer.StartAsync(TransportNames.Fast, new GrpcServerOptions { Limits = limits });
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(IPAddress.Loopback, server.Port);
        var clock = Stopwatch.StartNew();
        Assert.True(await ClosedAsync(silent), "a silent connection stayed open");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        // A preface and SETTINGS, then nothing (slowloris): closed too.
        using var slow = await RawPeer.ConnectAsync(server.Port);
        await AssertGoAwayAsync(slow, Http2ErrorCode.EnhanceYourCalm);
    }

    [Fact]
    public async Task A_connection_without_calls_is_closed_after_the_idle_timeout()
    {
        var limits = new ServerLimits { IdleTimeoutSeconds = 1 };
        await using var server = await TestServer.StartAsync(TransportNames.Fast, new GrpcServerOptions { Limits = limits });
        using var channel = server.Channel();
        var echo = new Echo.EchoClient(channel.CallInvoker);
        Assert.Equal("a", (await echo.UnaryAsync(new EchoRequest { Text = "a" })).Text);
        await Task.Delay(TimeSpan.FromSeconds(3));
        // The client notices the GOAWAY and opens a new connection for the next call.
        Assert.Equal("b", (await echo.UnaryAsync(new EchoRequest { Text = "b" })).Text);
    }

    [Fact]
    public async Task A_message_stalled_half_sent_has_its_stream_reset_after_the_stall_timeout()
    {
        var limits = new ServerLimits { StallTimeoutSeconds = 1 };
        await using var server = await TestServer.StartAsync(TransportNames.Fast, new GrpcServerOptions { Limits = limits });
        using var peer = await RawPeer.ConnectAsync(server.Port);
        await peer.SendRequestAsync(1, EchoService.ChatPath, endStream: false);
        // A length prefix of 1000 bytes and 10 of them.
        var partial = new byte[15];
        BinaryPrimitives.WriteUInt32BigEndian(partial.AsSpan(1), 1000);
        await peer.SendAsync(new FrameHeader(partial.Length, FrameType.Data, 0, 1), partial);
        var clock = Stopwatch.StartNew();
        var (header, _) = await peer.ReadUntilAsync(h => h.StreamId == 1 && (h.Type == FrameType.RstStream || h.Has(FrameFlags.EndStream)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(Patience));
        await AssertStillServingAsync(server);
        Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("StallTimeoutSeconds", StringComparison.Ordinal)));
        _ = header;
    }

    [Fact]
    public async Task Handlers_still_running_count_against_the_stream_limit_after_a_reset()
    {
        var limits = new ServerLimits { MaxConcurrentStreams = 4 };
        await using var server = await TestServer.StartAsync(TransportNames.Fast, new GrpcServerOptions { Limits = limits });
        using var peer = await RawPeer.ConnectAsync(server.Port);
        var sleep = new SleepRequest { Millis = 5000 }.ToByteArray();
        var framed = new byte[5 + sleep.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)sleep.Length);
        sleep.CopyTo(framed, 5);
        // Four sleeping calls, each reset at once: the handlers run on for a while.
        for (var i = 0; i < 4; i++)
        {
            var stream = 1 + (2 * i);
            await peer.SendRequestAsync(stream, EchoService.SleepPath, endStream: false);
            await peer.SendAsync(new FrameHeader(framed.Length, FrameType.Data, FrameFlags.EndStream, stream), framed);
        }
        // All four handlers running: a stream reset before its handler starts frees its slot at once.
        var waiting = Stopwatch.StartNew();
        while (server.Echo.CallsStarted < 4)
        {
            Assert.True(waiting.Elapsed < Patience, $"{server.Echo.CallsStarted} of the 4 handlers started");
            await Task.Delay(10);
        }
        for (var i = 0; i < 4; i++)
        {
            await peer.SendAsync(new FrameHeader(4, FrameType.RstStream, 0, 1 + (2 * i)), [0, 0, 0, (byte)Http2ErrorCode.Cancel]);
        }
        // A fifth is refused while those handlers still run.
        await peer.SendRequestAsync(9, EchoService.UnaryPath, endStream: true);
        var (_, code) = await peer.ReadUntilAsync(h => h.StreamId == 9 && h.Type == FrameType.RstStream);
        Assert.Equal(Http2ErrorCode.RefusedStream, (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(code));
    }

    private static Task<(FrameHeader, byte[])[]> HeadersAndReset(int stream)
    {
        var block = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var (name, value) in new[] { (":method", "POST"), (":scheme", "http"), (":path", EchoService.UnaryPath), (":authority", "x"), ("content-type", "application/grpc") })
        {
            HpackEncoder.Write(block, name, value);
        }
        return Task.FromResult(new (FrameHeader, byte[])[]
        {
            (new FrameHeader(block.WrittenCount, FrameType.Headers, FrameFlags.EndHeaders, stream), block.WrittenSpan.ToArray()),
            (new FrameHeader(4, FrameType.RstStream, 0, stream), [0, 0, 0, (byte)Http2ErrorCode.Cancel]),
        });
    }

    /// <summary>Waits for GOAWAY with <paramref name="code"/>, then for the connection to close; returns the GOAWAY payload.</summary>
    private static async Task<byte[]> AssertGoAwayAsync(RawPeer peer, Http2ErrorCode code)
    {
        var (_, body) = await peer.ReadUntilAsync(h => h.Type == FrameType.GoAway);
        Assert.Equal(code, (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(4)));
        Assert.True(await peer.ClosedAsync(), "the server kept the connection open after GOAWAY");
        return body;
    }

    private static async Task<bool> ClosedAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task AssertStillServingAsync(TestServer server)
    {
        using var channel = server.Channel();
        var reply = await new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest { Text = "still here" });
        Assert.Equal("ereh llits", reply.Text);
    }
}
