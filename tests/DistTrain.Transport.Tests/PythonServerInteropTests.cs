using System.Globalization;
using DistTrain.Rpc.Tensors;
using DistTrain.Rpc.Testing;
using DistTrain.Rpc.Tests.Support;
using DistTrain.Rpc.V1;
using Google.Protobuf;
using Grpc.Health.V1;

namespace DistTrain.Rpc.Tests;

/// <summary>Our client against an independent server (Python grpcio).</summary>
public sealed class PythonServerInteropTests(PythonInterop python) : IClassFixture<PythonInterop>
{
    private const string Token = "py-token-42";

    [Fact]
    public async Task Unary_call_carries_request_and_metadata()
    {
        using var server = await python.StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        var headers = new Metadata { { "x-tag", "from-dotnet" } };
        var reply = await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "abc", Payload = ByteString.CopyFrom(9, 8) }, EchoReply.Parser, new CallOptions(Headers: headers));
        Assert.Equal("cba|tag=from-dotnet", reply.Text);
        Assert.Equal(new byte[] { 8, 9 }, reply.Payload.ToByteArray());
    }

    [Fact]
    public async Task One_megabyte_each_way()
    {
        using var server = await python.StartServerAsync("--max-message", (8 << 20).ToString(CultureInfo.InvariantCulture));
        using var channel = GrpcChannel.ForAddress(server.Address);
        var payload = new byte[1 << 20];
        Random.Shared.NextBytes(payload);
        var reply = await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Payload = ByteString.CopyFrom(payload) }, EchoReply.Parser);
        Array.Reverse(payload);
        Assert.Equal(payload, reply.Payload.ToByteArray());
    }

    [Fact]
    public async Task Bidirectional_stream_interleaves_writes_and_reads()
    {
        using var server = await python.StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = channel.DuplexStreaming<EchoRequest, EchoReply>(EchoService.Chat, EchoReply.Parser);
        for (var i = 1; i <= 3; i++)
        {
            // Each reply arrives before the next request is sent: a real ping-pong, not a batch.
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"n{i}" });
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal($"{i}n", call.ResponseStream.Current.Text);
            Assert.Equal((uint)i, call.ResponseStream.Current.Sequence);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
    }

    [Fact]
    public async Task Health_check()
    {
        using var server = await python.StartServerAsync("--token", Token);
        using var channel = GrpcChannel.ForAddress(server.Address);
        var reply = await channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest(), HealthCheckResponse.Parser);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest { Service = "nope" }, HealthCheckResponse.Parser));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);

        var output = new StringWriter();
        Assert.Equal(0, await HealthProbe.CheckAsync(server.Address, TimeSpan.FromSeconds(5), output));
        Assert.Contains("SERVING", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented()
    {
        using var server = await python.StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync("/disttrain.testing.Echo/NoSuchMethod", new EchoRequest(), EchoReply.Parser));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Bearer_token_is_sent_and_a_wrong_one_is_unauthenticated()
    {
        using var server = await python.StartServerAsync("--token", Token);
        using (var wrong = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { AuthToken = "nope" }))
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => wrong.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "x" }, EchoReply.Parser));
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
            using var chat = wrong.DuplexStreaming<EchoRequest, EchoReply>(EchoService.Chat, EchoReply.Parser);
            var streamError = await Assert.ThrowsAsync<RpcException>(() => chat.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.Unauthenticated, streamError.StatusCode);
        }
        using var right = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { AuthToken = Token });
        var reply = await right.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "ok" }, EchoReply.Parser);
        Assert.Equal("ko", reply.Text);
    }

    [Fact]
    public async Task Oversized_messages_are_resource_exhausted_both_ways()
    {
        using var server = await python.StartServerAsync("--max-message", "100000");
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 50_000, MaxSendMessageSize = 1 << 20 });
        // The server refuses what it receives...
        var sent = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, new EchoRequest { Payload = ByteString.CopyFrom(new byte[200_000]) }, EchoReply.Parser));
        Assert.Equal(StatusCode.ResourceExhausted, sent.StatusCode);
        // ...and we refuse what we receive.
        var received = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "big:80000" }, EchoReply.Parser));
        Assert.Equal(StatusCode.ResourceExhausted, received.StatusCode);
        Assert.Contains("80", received.Detail, StringComparison.Ordinal);
        // The connection is still good.
        Assert.Equal("ih", (await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "hi" }, EchoReply.Parser)).Text);
    }

    [Fact]
    public async Task Deadline_is_sent_as_grpc_timeout_and_expires()
    {
        using var server = await python.StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        var remaining = await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "remaining" }, EchoReply.Parser,
            new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(7)));
        var seconds = double.Parse(remaining.Text, CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 5.0, 7.0);

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Sleep, new SleepRequest { Millis = 20_000 }, EchoReply.Parser,
                new CallOptions(Deadline: DateTime.UtcNow.AddMilliseconds(300))));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Server_status_and_detail_reach_the_client()
    {
        using var server = await python.StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "fail" }, EchoReply.Parser));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("asked to fail", error.Detail);
    }

    [Fact]
    public async Task Trainer_join_round_trip_with_tensor_messages_both_ways()
    {
        using var server = await python.StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        using var call = channel.DuplexStreaming<WorkerMessage, CoordinatorMessage>(TrainerMethods.Join, TensorMessageReaders.Coordinator);
        await call.RequestStream.WriteAsync(new WorkerMessage { Join = new JoinRequest { WorkerName = "beta", ProtocolVersion = 1 } });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal("py-beta", call.ResponseStream.Current.Accepted.WorkerId);
        Assert.Equal([784u, 32u, 10u], call.ResponseStream.Current.Accepted.Model.LayerSizes);

        // Our tensor send (head, then the bytes from their own memory) parsed by grpcio, and
        // grpcio's weights message parsed by our pooled reader.
        var gradient = new byte[940_000];
        new Random(5).NextBytes(gradient);
        var result = new ShardResult { TaskId = 1, Version = 41, ShardIndex = 2, SampleCount = 64, LossSum = 1.5, Correct = 60, Precision = WirePrecision.Fp32, Gradient = ByteString.CopyFrom(gradient), ComputeMicros = 1234 };
        await call.RequestStream.WriteAsync(new WorkerMessage { Result = result });
        Assert.True(await call.ResponseStream.MoveNext());
        var weights = call.ResponseStream.Current.Weights;
        Assert.Equal(42ul, weights.Version);
        Assert.Equal(WirePrecision.Fp32, weights.Precision);
        Assert.Equal(gradient.Reverse().ToArray(), weights.Parameters.ToByteArray());
        TensorBuffers.Return(weights.Parameters);

        await call.RequestStream.WriteAsync(new WorkerMessage { Leave = new Leave { Reason = "done" } });
        Assert.False(await call.ResponseStream.MoveNext());
    }

    [Fact]
    public async Task Unreachable_server_is_unavailable()
    {
        int port;
        using (var server = await python.StartServerAsync())
        {
            port = server.Port;
        }
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new EchoRequest(), EchoReply.Parser));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        var output = new StringWriter();
        Assert.Equal(2, await HealthProbe.CheckAsync($"http://127.0.0.1:{port}", TimeSpan.FromSeconds(2), output));
        Assert.Contains("UNREACHABLE", output.ToString(), StringComparison.Ordinal);
    }
}
