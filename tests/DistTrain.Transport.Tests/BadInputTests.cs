using System.Net;
using System.Net.Sockets;
using System.Text;
using DistTrain.Transport.Testing;
using DistTrain.Transport.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Transport.Tests;

/// <summary>
/// Input no correct client sends, against each server transport: each gets the right status or
/// a closed connection, and the server goes on serving others. The engine's own log lines are
/// checked too (Kestrel's are its own business).
/// </summary>
public sealed class BadInputTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Garbage_bytes_close_the_connection(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        Assert.True(await SendRawAndSeeClosedAsync(server.Port, garbage), "the server kept a garbage connection open");
        if (transport == TransportNames.Fast)
        {
            Assert.True(await server.Logs.WaitForAsync(e => e.Category.EndsWith("Http2Connection", StringComparison.Ordinal)
                && e.Message.Contains("connection error", StringComparison.OrdinalIgnoreCase)
                && e.Message.Contains("preface", StringComparison.OrdinalIgnoreCase)), Dump(server));
        }
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Http1_request_is_refused(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        var request = Encoding.ASCII.GetBytes(
            "POST /disttrain.testing.Echo/Unary HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/grpc\r\nContent-Length: 0\r\n\r\n");
        Assert.True(await SendRawAndSeeClosedAsync(server.Port, request), "the server kept an HTTP/1.1 connection open");
        if (transport == TransportNames.Fast)
        {
            Assert.True(await server.Logs.WaitForAsync(e => e.Category.EndsWith("Http2Connection", StringComparison.Ordinal)
                && e.Message.Contains("Expected HTTP/2 but received HTTP/1.1", StringComparison.Ordinal)), Dump(server));
        }
        Assert.Null(server.Echo.LastCall);
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Truncated_message_is_internal(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        using var raw = new RawHttp2Client(server.Address);
        // The length prefix says 100 bytes; the stream ends after 10.
        var body = new byte[] { 0, 0, 0, 0, 100 }.Concat(new byte[10]).ToArray();
        var response = await raw.SendAsync(EchoService.UnaryPath, body);
        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("Incomplete", response.Message, StringComparison.Ordinal);
        Assert.Null(server.Echo.LastCall);
        if (transport == TransportNames.Fast)
        {
            Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("Internal", StringComparison.Ordinal)), Dump(server));
        }
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Length_prefix_over_the_limit_is_refused_before_the_data_arrives(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        using var raw = new RawHttp2Client(server.Address);
        // Claims 2 GiB - 1 and never sends it: the server must answer from the prefix alone.
        var content = new StallingContent([0, 0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3]);
        var response = await raw.SendAsync(EchoService.UnaryPath, content).WaitAsync(Patience);
        Assert.Equal(StatusCode.ResourceExhausted, response.Status);
        if (transport == TransportNames.Fast)
        {
            Assert.Contains("2147483647", response.Message, StringComparison.Ordinal);
        }
        if (transport == TransportNames.Fast)
        {
            Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("ResourceExhausted", StringComparison.Ordinal)), Dump(server));
        }
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Client_resetting_mid_message_cancels_the_call_quietly(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        using var raw = new RawHttp2Client(server.Address);
        var content = new StallingContent([0, 0, 0, 0, 100, 1, 2, 3], failAfterPrefix: true);
        await Assert.ThrowsAnyAsync<Exception>(() => raw.SendAsync(EchoService.ChatPath, content).WaitAsync(Patience));
        if (transport == TransportNames.Fast)
        {
            Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("cancelled or disconnected by the client", StringComparison.Ordinal)), Dump(server));
        }
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Connection_dropped_mid_stream_fires_the_handler_token_and_fails_the_client(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        using var relay = new TcpRelay(server.Port);
        using var channel = TransportNames.Create(transport).CreateChannel(relay.Address, new GrpcClientOptions());
        using var call = new Echo.EchoClient(channel.CallInvoker).Chat();
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "before the drop" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var pending = call.ResponseStream.MoveNext(CancellationToken.None);
        relay.CutAll();
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(Patience));
        if (transport == TransportNames.Fast)
        {
            Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("cancelled or disconnected by the client", StringComparison.Ordinal)), Dump(server));
        }
        var error = await Assert.ThrowsAsync<RpcException>(() => pending.WaitAsync(Patience));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Compressed_message_without_an_encoding_is_internal(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        using var raw = new RawHttp2Client(server.Address);
        var response = await raw.SendAsync(EchoService.UnaryPath, [1, 0, 0, 0, 2, 0x0A, 0x00]);
        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("compressed", response.Message, StringComparison.OrdinalIgnoreCase);
        if (transport == TransportNames.Fast)
        {
            Assert.Equal("identity", response.AcceptEncoding);
            Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("compressed", StringComparison.OrdinalIgnoreCase)), Dump(server));
        }
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Unsupported_encoding_is_unimplemented_and_names_what_is_accepted(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        using var raw = new RawHttp2Client(server.Address);
        var response = await raw.SendAsync(EchoService.UnaryPath, [1, 0, 0, 0, 2, 0x0A, 0x00], headers: new Dictionary<string, string> { ["grpc-encoding"] = "snappy" });
        Assert.Equal(StatusCode.Unimplemented, response.Status);
        Assert.Contains("identity", response.AcceptEncoding, StringComparison.Ordinal);
        if (transport == TransportNames.Fast)
        {
            Assert.True(await server.Logs.WaitForAsync(e => e.Level == LogLevel.Warning && e.Message.Contains("snappy", StringComparison.Ordinal)), Dump(server));
        }
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Undecodable_protobuf_is_internal(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        using var raw = new RawHttp2Client(server.Address);
        var response = await raw.SendAsync(EchoService.UnaryPath, [0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF]);
        // INTERNAL as the spec asks; Grpc.AspNetCore reports its marshaller's exception as UNKNOWN.
        Assert.Equal(transport == TransportNames.Fast ? StatusCode.Internal : StatusCode.Unknown, response.Status);
        Assert.Null(server.Echo.LastCall);
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Wrong_content_type_is_http_415_and_wrong_verb_405(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        using var raw = new RawHttp2Client(server.Address);
        var json = await raw.SendAsync(EchoService.UnaryPath, Encoding.UTF8.GetBytes("{}"), contentType: "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.HttpStatus);
        if (transport == TransportNames.Fast)
        {
            // Grpc.AspNetCore hands any application/grpc+codec to the method's marshaller.
            var grpcJson = await raw.SendAsync(EchoService.UnaryPath, [0, 0, 0, 0, 0], contentType: "application/grpc+json");
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, grpcJson.HttpStatus);
        }
        var put = await raw.SendAsync(EchoService.UnaryPath, new ByteArrayContent([0, 0, 0, 0, 0]), method: HttpMethod.Put);
        // Kestrel's routing answers a verb no endpoint takes with 404.
        Assert.Equal(transport == TransportNames.Fast ? HttpStatusCode.MethodNotAllowed : HttpStatusCode.NotFound, put.HttpStatus);
        // "+proto" and parameters are fine.
        var proto = await raw.SendAsync(EchoService.UnaryPath, [0, 0, 0, 0, 0], contentType: "application/grpc+proto; charset=binary");
        Assert.Equal(StatusCode.OK, proto.Status);
        if (transport == TransportNames.Fast)
        {
            Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("content-type", StringComparison.Ordinal)), Dump(server));
        }
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Server_enforces_the_deadline_even_when_the_handler_ignores_it(string transport)
    {
        var handlerDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stubborn = TestMethods.Unary("test.Stubborn", "Sleep", SleepRequest.Parser, EchoReply.Parser);
        await using var server = await TestServer.StartAsync(transport, null, TestMethods.Service(stubborn, async (request, _) =>
        {
            await Task.Delay((int)request.Millis);
            handlerDone.TrySetResult();
            return new EchoReply { Text = "too late" };
        }));
        using var raw = new RawHttp2Client(server.Address);
        // The handler sleeps well past the answer's bound, so a loaded machine cannot blur the two.
        var body = Frame(new SleepRequest { Millis = 7000 });
        var started = DateTime.UtcNow;
        var response = await raw.SendAsync("/test.Stubborn/Sleep", body, headers: new Dictionary<string, string> { ["grpc-timeout"] = "200m" });
        Assert.Equal(StatusCode.DeadlineExceeded, response.Status);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "the server waited for the handler");
        Assert.False(handlerDone.Task.IsCompleted);
        await handlerDone.Task.WaitAsync(Patience);
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Malformed_timeout_is_ignored_with_a_warning(string transport)
    {
        await using var server = await TestServer.StartAsync(transport);
        using var raw = new RawHttp2Client(server.Address);
        var response = await raw.SendAsync(EchoService.UnaryPath, Frame(new EchoRequest { Text = "ab" }), headers: new Dictionary<string, string> { ["grpc-timeout"] = "soon" });
        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal("ba", EchoReply.Parser.ParseFrom(response.Body.AsSpan(5)).Text);
        Assert.Equal(DateTime.MaxValue, server.Echo.LastCall!.Deadline);
        if (transport == TransportNames.Fast)
        {
            Assert.True(server.Logs.Contains(e => e.Level == LogLevel.Warning && e.Message.Contains("soon", StringComparison.Ordinal)), Dump(server));
        }
    }

    private static byte[] Frame(IMessage message)
    {
        var payload = message.ToByteArray();
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>Writes the bytes on a fresh TCP connection; true when the server then closes it.</summary>
    private static async Task<bool> SendRawAndSeeClosedAsync(int port, byte[] bytes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(bytes);
        var buffer = new byte[65536];
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            // Whatever the server says first (a GOAWAY, an HTTP/1.1 error), it must end with a close.
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

    private static string Dump(TestServer server) =>
        "log:\n" + string.Join('\n', server.Logs.Entries.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception?.Message}"));
}
