using System.Net;
using System.Net.Sockets;
using System.Text;
using DistTrain.Rpc.Testing;
using DistTrain.Rpc.Tests.Support;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace DistTrain.Rpc.Tests;

/// <summary>
/// Input no correct client sends: each gets the right status or a closed connection, leaves a
/// log line, and the server goes on serving others.
/// </summary>
public sealed class BadInputTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Garbage_bytes_close_the_connection()
    {
        await using var server = await TestServer.StartAsync();
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);
        Assert.True(await SendRawAndSeeClosedAsync(server.Port, garbage), "the server kept a garbage connection open");
        Assert.True(await server.Logs.WaitForAsync(e => e.Category == "DistTrain.Rpc.Http2"
            && e.Message.Contains("connection error", StringComparison.OrdinalIgnoreCase)
            && e.Message.Contains("preface", StringComparison.OrdinalIgnoreCase)), Dump(server));
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Http1_request_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        var request = Encoding.ASCII.GetBytes(
            "POST /disttrain.testing.Echo/Unary HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/grpc\r\nContent-Length: 0\r\n\r\n");
        Assert.True(await SendRawAndSeeClosedAsync(server.Port, request), "the server kept an HTTP/1.1 connection open");
        Assert.True(await server.Logs.WaitForAsync(e => e.Category == "DistTrain.Rpc.Http2"
            && e.Message.Contains("Expected HTTP/2 but received HTTP/1.1", StringComparison.Ordinal)), Dump(server));
        Assert.Null(server.Echo.LastContext);
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Truncated_message_is_internal()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = new RawHttp2Client(server.Address);
        // The length prefix says 100 bytes; the stream ends after 10.
        var body = new byte[] { 0, 0, 0, 0, 100 }.Concat(new byte[10]).ToArray();
        var response = await raw.SendAsync(EchoService.Unary, body);
        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("Incomplete", response.Message, StringComparison.Ordinal);
        Assert.Null(server.Echo.LastContext);
        Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("Internal", StringComparison.Ordinal)), Dump(server));
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Length_prefix_over_the_limit_is_refused_before_the_data_arrives()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = new RawHttp2Client(server.Address);
        // Claims 2 GiB - 1 and never sends it: the server must answer from the prefix alone.
        var content = new StallingContent([0, 0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3]);
        var response = await raw.SendAsync(EchoService.Unary, content).WaitAsync(Patience);
        Assert.Equal(StatusCode.ResourceExhausted, response.Status);
        Assert.Contains("2147483647", response.Message, StringComparison.Ordinal);
        Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("ResourceExhausted", StringComparison.Ordinal)), Dump(server));
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Client_resetting_mid_message_cancels_the_call_quietly()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = new RawHttp2Client(server.Address);
        var content = new StallingContent([0, 0, 0, 0, 100, 1, 2, 3], failAfterPrefix: true);
        await Assert.ThrowsAnyAsync<Exception>(() => raw.SendAsync(EchoService.Chat, content).WaitAsync(Patience));
        Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("cancelled or disconnected by the client", StringComparison.Ordinal)), Dump(server));
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Connection_dropped_mid_stream_fires_the_handler_token_and_fails_the_client()
    {
        await using var server = await TestServer.StartAsync();
        using var relay = new TcpRelay(server.Port);
        using var channel = GrpcChannel.ForAddress(relay.Address);
        using var call = channel.DuplexStreaming<EchoRequest, EchoReply>(EchoService.Chat, EchoReply.Parser);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "before the drop" });
        Assert.True(await call.ResponseStream.MoveNext());
        var pending = call.ResponseStream.MoveNext();
        relay.CutAll();
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(Patience));
        Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("cancelled or disconnected by the client", StringComparison.Ordinal)), Dump(server));
        var error = await Assert.ThrowsAsync<RpcException>(() => pending.WaitAsync(Patience));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Compressed_message_without_an_encoding_is_internal()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = new RawHttp2Client(server.Address);
        var response = await raw.SendAsync(EchoService.Unary, [1, 0, 0, 0, 2, 0x0A, 0x00]);
        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Contains("compressed", response.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("identity", response.AcceptEncoding);
        Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("compressed", StringComparison.OrdinalIgnoreCase)), Dump(server));
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Unsupported_encoding_is_unimplemented_and_names_what_is_accepted()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = new RawHttp2Client(server.Address);
        var response = await raw.SendAsync(EchoService.Unary, [1, 0, 0, 0, 2, 0x0A, 0x00], headers: new Dictionary<string, string> { ["grpc-encoding"] = "gzip" });
        Assert.Equal(StatusCode.Unimplemented, response.Status);
        Assert.Equal("identity", response.AcceptEncoding);
        Assert.True(await server.Logs.WaitForAsync(e => e.Level == LogLevel.Warning && e.Message.Contains("gzip", StringComparison.Ordinal)), Dump(server));
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Undecodable_protobuf_is_internal()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = new RawHttp2Client(server.Address);
        var response = await raw.SendAsync(EchoService.Unary, [0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF]);
        Assert.Equal(StatusCode.Internal, response.Status);
        Assert.Null(server.Echo.LastContext);
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Wrong_content_type_is_http_415_and_wrong_verb_405()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = new RawHttp2Client(server.Address);
        var json = await raw.SendAsync(EchoService.Unary, Encoding.UTF8.GetBytes("{}"), contentType: "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.HttpStatus);
        var grpcJson = await raw.SendAsync(EchoService.Unary, [0, 0, 0, 0, 0], contentType: "application/grpc+json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, grpcJson.HttpStatus);
        var put = await raw.SendAsync(EchoService.Unary, new ByteArrayContent([0, 0, 0, 0, 0]), method: HttpMethod.Put);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.HttpStatus);
        // "+proto" and parameters are fine.
        var proto = await raw.SendAsync(EchoService.Unary, [0, 0, 0, 0, 0], contentType: "application/grpc+proto; charset=binary");
        Assert.Equal(StatusCode.OK, proto.Status);
        Assert.True(await server.Logs.WaitForAsync(e => e.Message.Contains("content-type", StringComparison.Ordinal)), Dump(server));
        await AssertStillServingAsync(server);
    }

    [Fact]
    public async Task Server_enforces_the_deadline_even_when_the_handler_ignores_it()
    {
        var handlerDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(register: registry =>
            registry.AddUnary<SleepRequest, EchoReply>("/test.Stubborn/Sleep", SleepRequest.Parser, async (request, _) =>
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

    [Fact]
    public async Task Malformed_timeout_is_ignored_with_a_warning()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = new RawHttp2Client(server.Address);
        var response = await raw.SendAsync(EchoService.Unary, Frame(new EchoRequest { Text = "ab" }), headers: new Dictionary<string, string> { ["grpc-timeout"] = "soon" });
        Assert.Equal(StatusCode.OK, response.Status);
        Assert.Equal("ba", EchoReply.Parser.ParseFrom(response.Body.AsSpan(5)).Text);
        Assert.Null(server.Echo.LastContext!.Deadline);
        Assert.True(server.Logs.Contains(e => e.Level == LogLevel.Warning && e.Message.Contains("soon", StringComparison.Ordinal)), Dump(server));
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
        var reply = await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "still here" }, EchoReply.Parser);
        Assert.Equal("ereh llits", reply.Text);
    }

    private static string Dump(TestServer server) =>
        "log:\n" + string.Join('\n', server.Logs.Entries.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception?.Message}"));
}
