using System.Globalization;
using DistTrain.Training.Protocol;
using DistTrain.Transport.Testing;
using DistTrain.Transport.Tests.Support;
using DistTrain.Training.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;

namespace DistTrain.Transport.Tests;

/// <summary>Each of our client transports against an independent server (Python grpcio).</summary>
public sealed class PythonServerInteropTests(PythonInterop python) : IClassFixture<PythonInterop>
{
    private const string Token = "py-token-42";

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Unary_call_carries_request_and_metadata(string client)
    {
        using var server = await python.StartServerAsync();
        using var channel = Channel(client, server.Address);
        var headers = new Metadata { { "x-tag", "from-dotnet" } };
        var reply = await new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest { Text = "abc", Payload = ByteString.CopyFrom(9, 8) }, headers).ResponseAsync;
        Assert.Equal("cba|tag=from-dotnet", reply.Text);
        Assert.Equal(new byte[] { 8, 9 }, reply.Payload.ToByteArray());
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task One_megabyte_each_way(string client)
    {
        using var server = await python.StartServerAsync("--max-message", (8 << 20).ToString(CultureInfo.InvariantCulture));
        using var channel = Channel(client, server.Address);
        var payload = new byte[1 << 20];
        Random.Shared.NextBytes(payload);
        var reply = await new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest { Payload = ByteString.CopyFrom(payload) }).ResponseAsync;
        Array.Reverse(payload);
        Assert.Equal(payload, reply.Payload.ToByteArray());
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Bidirectional_stream_interleaves_writes_and_reads(string client)
    {
        using var server = await python.StartServerAsync();
        using var channel = Channel(client, server.Address);
        using var call = new Echo.EchoClient(channel.CallInvoker).Chat();
        for (var i = 1; i <= 3; i++)
        {
            // Each reply arrives before the next request is sent: a real ping-pong, not a batch.
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"n{i}" });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"{i}n", call.ResponseStream.Current.Text);
            Assert.Equal((uint)i, call.ResponseStream.Current.Sequence);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Health_check(string client)
    {
        using var server = await python.StartServerAsync("--token", Token);
        using var channel = Channel(client, server.Address);
        var reply = await new Health.HealthClient(channel.CallInvoker).CheckAsync(new HealthCheckRequest()).ResponseAsync;
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Health.HealthClient(channel.CallInvoker).CheckAsync(new HealthCheckRequest { Service = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);

        var output = new StringWriter();
        Assert.Equal(0, await HealthProbe.CheckAsync(TransportNames.Create(client), server.Address, TimeSpan.FromSeconds(5), output, "", new GrpcClientOptions()));
        Assert.Contains("SERVING", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Unknown_method_is_unimplemented(string client)
    {
        using var server = await python.StartServerAsync();
        using var channel = Channel(client, server.Address);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.CallInvoker.AsyncUnaryCall(TestMethods.Unary("disttrain.testing.Echo", "NoSuchMethod", EchoRequest.Parser, EchoReply.Parser), null, default, new EchoRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Bearer_token_is_sent_and_a_wrong_one_is_unauthenticated(string client)
    {
        using var server = await python.StartServerAsync("--token", Token);
        using (var wrong = Channel(client, server.Address, new GrpcClientOptions { AuthToken = "nope" }))
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => new Echo.EchoClient(wrong.CallInvoker).UnaryAsync(new EchoRequest { Text = "x" }).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
            using var chat = new Echo.EchoClient(wrong.CallInvoker).Chat();
            var streamError = await Assert.ThrowsAsync<RpcException>(() => chat.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.Unauthenticated, streamError.StatusCode);
        }
        using var right = Channel(client, server.Address, new GrpcClientOptions { AuthToken = Token });
        var reply = await new Echo.EchoClient(right.CallInvoker).UnaryAsync(new EchoRequest { Text = "ok" }).ResponseAsync;
        Assert.Equal("ko", reply.Text);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Oversized_messages_are_resource_exhausted_both_ways(string client)
    {
        using var server = await python.StartServerAsync("--max-message", "100000");
        using var channel = Channel(client, server.Address, new GrpcClientOptions { MaxReceiveMessageSize = 50_000, MaxSendMessageSize = 1 << 20 });
        // The server refuses what it receives...
        var sent = await Assert.ThrowsAsync<RpcException>(() =>
            new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[200_000]) }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, sent.StatusCode);
        // ...and we refuse what we receive.
        var received = await Assert.ThrowsAsync<RpcException>(() =>
            new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest { Text = "big:80000" }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, received.StatusCode);
        if (client == TransportNames.Fast)
        {
            Assert.Contains("80", received.Status.Detail, StringComparison.Ordinal);
        }
        // The connection is still good.
        Assert.Equal("ih", (await new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest { Text = "hi" }).ResponseAsync).Text);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Deadline_is_sent_as_grpc_timeout_and_expires(string client)
    {
        using var server = await python.StartServerAsync();
        using var channel = Channel(client, server.Address);
        var remaining = await new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest { Text = "remaining" }, deadline: DateTime.UtcNow.AddSeconds(7)).ResponseAsync;
        var seconds = double.Parse(remaining.Text, CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 5.0, 7.0);

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Echo.EchoClient(channel.CallInvoker).SleepAsync(new SleepRequest { Millis = 20_000 }, deadline: DateTime.UtcNow.AddMilliseconds(300)).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Server_status_and_detail_reach_the_client(string client)
    {
        using var server = await python.StartServerAsync();
        using var channel = Channel(client, server.Address);
        var error = await Assert.ThrowsAsync<RpcException>(() => new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest { Text = "fail" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("asked to fail", error.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Trainer_join_round_trip_with_tensor_messages_both_ways(string client)
    {
        using var server = await python.StartServerAsync();
        using var channel = Channel(client, server.Address);
        using var call = channel.CallInvoker.AsyncDuplexStreamingCall(TrainerMethods.Join, null, default);
        await call.RequestStream.WriteAsync(new WorkerMessage { Join = new JoinRequest { WorkerName = "beta", ProtocolVersion = 1 } });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("py-beta", call.ResponseStream.Current.Accepted.WorkerId);
        Assert.Equal([784u, 32u, 10u], call.ResponseStream.Current.Accepted.Model.LayerSizes);

        // Our tensor send (head, then the bytes from their own memory) parsed by grpcio, and
        // grpcio's weights message parsed by our pooled reader.
        var gradient = new byte[940_000];
        new Random(5).NextBytes(gradient);
        var result = new ShardResult { TaskId = 1, Version = 41, ShardIndex = 2, SampleCount = 64, LossSum = 1.5, Correct = 60, Precision = WirePrecision.Fp32, Gradient = ByteString.CopyFrom(gradient), ComputeMicros = 1234 };
        await call.RequestStream.WriteAsync(new WorkerMessage { Result = result });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var weights = call.ResponseStream.Current.Weights;
        Assert.Equal(42ul, weights.Version);
        Assert.Equal(WirePrecision.Fp32, weights.Precision);
        Assert.Equal(gradient.Reverse().ToArray(), weights.Parameters.ToByteArray());
        ReceivedTensor.Release(weights.Parameters);

        await call.RequestStream.WriteAsync(new WorkerMessage { Leave = new Leave { Reason = "done" } });
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Unreachable_server_is_unavailable(string client)
    {
        int port;
        using (var server = await python.StartServerAsync())
        {
            port = server.Port;
        }
        using var channel = Channel(client, $"http://127.0.0.1:{port}");
        var error = await Assert.ThrowsAsync<RpcException>(() => new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        var output = new StringWriter();
        Assert.Equal(HealthProbe.Unreachable, await HealthProbe.CheckAsync(TransportNames.Create(client), $"http://127.0.0.1:{port}", TimeSpan.FromSeconds(2), output, "", new GrpcClientOptions()));
        Assert.Contains("UNREACHABLE", output.ToString(), StringComparison.Ordinal);
    }

    private static ClientChannel Channel(string transport, string address, GrpcClientOptions? options = null) =>
        TransportNames.Create(transport).CreateChannel(address, options ?? new GrpcClientOptions { MaxReceiveMessageSize = 8 << 20, MaxSendMessageSize = 8 << 20 });
}
