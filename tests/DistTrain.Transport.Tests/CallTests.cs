using DistTrain.Transport.Testing;
using DistTrain.Transport.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistTrain.Transport.Tests;

/// <summary>
/// The transport contract, run for every client transport against every server transport (or
/// each transport on both ends): unary and streaming calls, metadata, status, deadlines,
/// cancellation, message limits, the bearer token, health, graceful stop.
/// </summary>
public sealed class CallTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Unary_round_trip_with_metadata_and_deadline(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        var echo = new Echo.EchoClient(channel.CallInvoker);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var call = echo.UnaryAsync(new EchoRequest { Text = "abc", Payload = ByteString.CopyFrom(1, 2, 3) },
            new Metadata { { "X-Worker", "w1" }, { "x-blob-bin", new byte[] { 0, 1, 255 } } }, deadline);
        var reply = await call;
        Assert.Equal("cba", reply.Text);
        Assert.Equal(new byte[] { 3, 2, 1 }, reply.Payload.ToByteArray());
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        var context = host.Echo.LastCall!;
        Assert.Equal(EchoService.UnaryPath, context.Method);
        Assert.Equal("w1", context.RequestHeaders.GetValue("x-worker"));
        Assert.Equal(new byte[] { 0, 1, 255 }, context.RequestHeaders.GetValueBytes("x-blob-bin"));
        Assert.Null(context.RequestHeaders.Get("grpc-timeout"));
        Assert.InRange(context.Deadline, deadline.AddSeconds(-2), deadline.AddSeconds(1));
        Assert.StartsWith("ipv", context.Peer, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Duplex_stream_of_one_megabyte_messages(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server, new GrpcServerOptions { MaxReceiveMessageSize = 2 << 20, MaxSendMessageSize = 2 << 20 });
        using var channel = host.Channel(new GrpcClientOptions { MaxReceiveMessageSize = 2 << 20, MaxSendMessageSize = 2 << 20 }, client);
        using var call = new Echo.EchoClient(channel.CallInvoker).Chat();
        for (var i = 1; i <= 5; i++)
        {
            var payload = new byte[1 << 20];
            Random.Shared.NextBytes(payload);
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"r{i}", Payload = ByteString.CopyFrom(payload) });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Array.Reverse(payload);
            Assert.Equal(payload, call.ResponseStream.Current.Payload.ToByteArray());
            Assert.Equal((uint)i, call.ResponseStream.Current.Sequence);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Server_streaming_and_client_streaming_calls(string transport)
    {
        var countdown = new Method<SleepRequest, EchoReply>(MethodType.ServerStreaming, "test.Shapes", "Countdown", TestMethods.Protobuf(SleepRequest.Parser), TestMethods.Protobuf(EchoReply.Parser));
        var concat = new Method<EchoRequest, EchoReply>(MethodType.ClientStreaming, "test.Shapes", "Concat", TestMethods.Protobuf(EchoRequest.Parser), TestMethods.Protobuf(EchoReply.Parser));
        var shapes = ServerServiceDefinition.CreateBuilder()
            .AddMethod(countdown, async (request, responses, _) =>
            {
                for (var i = request.Millis; i > 0; i--)
                {
                    await responses.WriteAsync(new EchoReply { Sequence = i });
                }
            })
            .AddMethod(concat, async (requests, context) =>
            {
                var text = "";
                while (await requests.MoveNext(context.CancellationToken))
                {
                    text += requests.Current.Text;
                }
                return new EchoReply { Text = text };
            })
            .Build();
        await using var host = await TestServer.StartAsync(transport, null, shapes);
        using var channel = host.Channel();
        using var down = channel.CallInvoker.AsyncServerStreamingCall(countdown, null, default, new SleepRequest { Millis = 3 });
        var seen = new List<uint>();
        while (await down.ResponseStream.MoveNext(CancellationToken.None))
        {
            seen.Add(down.ResponseStream.Current.Sequence);
        }
        Assert.Equal([3u, 2u, 1u], seen);

        using var up = channel.CallInvoker.AsyncClientStreamingCall(concat, null, default);
        foreach (var part in new[] { "a", "b", "c" })
        {
            await up.RequestStream.WriteAsync(new EchoRequest { Text = part });
        }
        await up.RequestStream.CompleteAsync();
        Assert.Equal("abc", (await up.ResponseAsync).Text);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Concurrent_writers_on_one_stream_take_turns(string transport)
    {
        await using var host = await TestServer.StartAsync(transport);
        using var channel = host.Channel();
        using var call = new Echo.EchoClient(channel.CallInvoker).Chat();
        var gate = new SemaphoreSlim(1, 1);
        // Grpc.Core allows one pending write per stream; callers that write concurrently take turns.
        var writes = Enumerable.Range(0, 8).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                await call.RequestStream.WriteAsync(new EchoRequest { Text = $"t{i}", Payload = ByteString.CopyFrom(new byte[100_000 + i]) });
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(writes);
        await call.RequestStream.CompleteAsync();
        var texts = new List<string>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            texts.Add(call.ResponseStream.Current.Text);
            Assert.Equal(100_000 + int.Parse(call.ResponseStream.Current.Text[..^1], System.Globalization.CultureInfo.InvariantCulture), call.ResponseStream.Current.Payload.Length);
        }
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"{i}t").Order(), texts.Order());
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Handler_status_trailers_and_exceptions(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        var echo = new Echo.EchoClient(channel.CallInvoker);
        var failed = await Assert.ThrowsAsync<RpcException>(async () => await echo.UnaryAsync(new EchoRequest { Text = "fail" }));
        Assert.Equal(StatusCode.FailedPrecondition, failed.StatusCode);
        Assert.Equal("asked to fail", failed.Status.Detail);
        Assert.Equal("asked", failed.Trailers.GetValue("x-reason"));

        var crashed = await Assert.ThrowsAsync<RpcException>(async () => await echo.UnaryAsync(new EchoRequest { Text = "crash" }));
        Assert.Equal(StatusCode.Unknown, crashed.StatusCode);
        Assert.DoesNotContain("secret", crashed.Status.Detail, StringComparison.Ordinal);
        Assert.True(await host.Logs.WaitForAsync(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error && e.Exception is InvalidOperationException));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Unknown_method_is_unimplemented_for_unary_and_streams(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        var missing = TestMethods.Unary("no.Such", "Method", EchoRequest.Parser, EchoReply.Parser);
        var unary = await Assert.ThrowsAsync<RpcException>(async () => await channel.CallInvoker.AsyncUnaryCall(missing, null, default, new EchoRequest()));
        Assert.Equal(StatusCode.Unimplemented, unary.StatusCode);
        using var call = channel.CallInvoker.AsyncDuplexStreamingCall(TestMethods.Duplex("no.Such", "Stream"), null, default);
        var stream = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unimplemented, stream.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Bearer_token_guards_everything_but_health(string client, string server)
    {
        const string token = "tok-123";
        await using var host = await TestServer.StartAsync(server, new GrpcServerOptions { AuthToken = token });
        using var anonymous = host.Channel(transport: client);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Echo.EchoClient(anonymous.CallInvoker).UnaryAsync(new EchoRequest()));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        // Even unknown methods answer UNAUTHENTICATED: no probing for names without the token.
        var missing = TestMethods.Unary("no.Such", "Method", EchoRequest.Parser, EchoReply.Parser);
        var probe = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.CallInvoker.AsyncUnaryCall(missing, null, default, new EchoRequest()));
        Assert.Equal(StatusCode.Unauthenticated, probe.StatusCode);
        var health = await new Health.HealthClient(anonymous.CallInvoker).CheckAsync(new HealthCheckRequest());
        Assert.Equal(ServingStatus.Serving, health.Status);

        using var authorized = host.Channel(new GrpcClientOptions { AuthToken = token }, client);
        Assert.Equal("ko", (await new Echo.EchoClient(authorized.CallInvoker).UnaryAsync(new EchoRequest { Text = "ok" })).Text);
        Assert.Null(host.Echo.LastCall!.RequestHeaders.Get("authorization"));
        Assert.DoesNotContain(host.Logs.Entries, e => e.Message.Contains(token, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Message_size_limits_on_all_four_sides(string client, string server)
    {
        var reply = TestMethods.Unary("test.Big", "Reply", SleepRequest.Parser, EchoReply.Parser);
        await using var host = await TestServer.StartAsync(server,
            new GrpcServerOptions { MaxReceiveMessageSize = 100_000, MaxSendMessageSize = 200_000 },
            TestMethods.Service(reply, (request, _) => Task.FromResult(new EchoReply { Payload = ByteString.CopyFrom(new byte[request.Millis]) })));
        using var channel = host.Channel(new GrpcClientOptions { MaxSendMessageSize = 150_000, MaxReceiveMessageSize = 120_000 }, client);
        var echo = new Echo.EchoClient(channel.CallInvoker);

        async Task<StatusCode> Status(Func<Task> call) => (await Assert.ThrowsAsync<RpcException>(call)).StatusCode;

        // Client refuses to send over its limit (nothing goes on the wire).
        Assert.Equal(StatusCode.ResourceExhausted, await Status(async () => await echo.UnaryAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[160_000]) })));
        // Server refuses to receive over its limit.
        Assert.Equal(StatusCode.ResourceExhausted, await Status(async () => await echo.UnaryAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[110_000]) })));
        // Server refuses to send over its limit.
        Assert.Equal(StatusCode.ResourceExhausted, await Status(async () => await channel.CallInvoker.AsyncUnaryCall(reply, null, default, new SleepRequest { Millis = 210_000 })));
        // Client refuses to receive over its limit.
        Assert.Equal(StatusCode.ResourceExhausted, await Status(async () => await channel.CallInvoker.AsyncUnaryCall(reply, null, default, new SleepRequest { Millis = 130_000 })));
        // Just under every limit works.
        var answer = await channel.CallInvoker.AsyncUnaryCall(reply, null, default, new SleepRequest { Millis = 110_000 });
        Assert.Equal(110_000, answer.Payload.Length);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Deadline_expires_on_the_client_and_cancels_the_handler(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        // A call first, so the connection is up and the code paths warm: on a loaded machine a cold
        // first call can outlast a short deadline before its handler ever starts.
        await new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest());
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new Echo.EchoClient(channel.CallInvoker).SleepAsync(new SleepRequest { Millis = 30_000 }, deadline: DateTime.UtcNow.AddMilliseconds(500)));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        Assert.True(await host.Echo.HandlerCancelled.Task.WaitAsync(Patience));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Deadline_already_past_fails_without_calling(string transport)
    {
        await using var host = await TestServer.StartAsync(transport);
        using var channel = host.Channel();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await new Echo.EchoClient(channel.CallInvoker).UnaryAsync(new EchoRequest(), deadline: DateTime.UtcNow.AddSeconds(-1)));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Null(host.Echo.LastCall);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Client_cancellation_resets_the_stream_and_fires_the_server_token(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        using var cancel = new CancellationTokenSource();
        var call = new Echo.EchoClient(channel.CallInvoker).SleepAsync(new SleepRequest { Millis = 30_000 }, cancellationToken: cancel.Token);
        await host.Echo.CallStarted.Task.WaitAsync(Patience);
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.True(await host.Echo.HandlerCancelled.Task.WaitAsync(Patience));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Disposing_a_duplex_call_cancels_it_on_the_server(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        var call = new Echo.EchoClient(channel.CallInvoker).Chat();
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "x" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        call.Dispose();
        Assert.True(await host.Echo.HandlerCancelled.Task.WaitAsync(Patience));
        await Assert.ThrowsAnyAsync<Exception>(() => call.RequestStream.WriteAsync(new EchoRequest()));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Cancelling_a_duplex_call_token_ends_reads_with_cancelled(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        using var cancel = new CancellationTokenSource();
        using var call = new Echo.EchoClient(channel.CallInvoker).Chat(cancellationToken: cancel.Token);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "x" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var pending = call.ResponseStream.MoveNext(CancellationToken.None);
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => pending);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.True(await host.Echo.HandlerCancelled.Task.WaitAsync(Patience));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Duplex_deadline_ends_the_call_on_both_sides(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        using var call = new Echo.EchoClient(channel.CallInvoker).Chat(deadline: DateTime.UtcNow.AddSeconds(1));
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "x" });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(await host.Echo.HandlerCancelled.Task.WaitAsync(Patience));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Writing_after_the_server_ended_the_call_reports_that_end(string client, string server)
    {
        var done = TestMethods.Duplex("test.Quick", "Done");
        var refuse = TestMethods.Duplex("test.Quick", "Refuse");
        await using var host = await TestServer.StartAsync(server, null,
            TestMethods.Service(done, (_, _, _) => Task.CompletedTask),
            TestMethods.Service(refuse, (_, _, _) => throw new RpcException(new Status(StatusCode.FailedPrecondition, "not now"))));
        using var channel = host.Channel(transport: client);

        using var finished = channel.CallInvoker.AsyncDuplexStreamingCall(done, null, default);
        Assert.False(await finished.ResponseStream.MoveNext(CancellationToken.None));
        var late = await Assert.ThrowsAsync<RpcException>(() => finished.RequestStream.WriteAsync(new EchoRequest()));
        Assert.Equal(StatusCode.OK, late.StatusCode);

        using var refused = channel.CallInvoker.AsyncDuplexStreamingCall(refuse, null, default);
        Assert.Equal(StatusCode.FailedPrecondition, (await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(CancellationToken.None))).StatusCode);
        var write = await Assert.ThrowsAsync<RpcException>(() => refused.RequestStream.WriteAsync(new EchoRequest()));
        Assert.Equal(StatusCode.FailedPrecondition, write.StatusCode);
        Assert.Equal("not now", write.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Health_watch_streams_status_changes_and_ends_when_the_server_stops(string client, string server)
    {
        var host = await TestServer.StartAsync(server);
        try
        {
            using var channel = host.Channel(transport: client);
            var health = new Health.HealthClient(channel.CallInvoker);
            host.Server.SetServingStatus("svc", ServingStatus.Serving);
            using var watch = health.Watch(new HealthCheckRequest { Service = "svc" });
            Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);

            host.Server.SetServingStatus("svc", ServingStatus.NotServing);
            Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);

            using var unknown = health.Watch(new HealthCheckRequest { Service = "later" });
            Assert.True(await unknown.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(ServingStatus.ServiceUnknown, unknown.ResponseStream.Current.Status);
            host.Server.SetServingStatus("later", ServingStatus.Serving);
            Assert.True(await unknown.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(ServingStatus.Serving, unknown.ResponseStream.Current.Status);

            var stopping = host.Server.StopAsync(TimeSpan.FromSeconds(5));
            Assert.True(await unknown.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(ServingStatus.NotServing, unknown.ResponseStream.Current.Status);
            Assert.False(await unknown.ResponseStream.MoveNext(CancellationToken.None));
            Assert.False(await watch.ResponseStream.MoveNext(CancellationToken.None));
            // Both calls ended, so the server drains well inside its grace period.
            await stopping.WaitAsync(TimeSpan.FromSeconds(4));
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Health_probe_exit_codes(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        var probe = TransportNames.Create(client);
        var output = new StringWriter();
        Assert.Equal(HealthProbe.Serving, await HealthProbe.CheckAsync(probe, host.Address, Patience, output, "", new GrpcClientOptions()));
        host.Server.SetServingStatus(string.Empty, ServingStatus.NotServing);
        Assert.Equal(HealthProbe.NotServing, await HealthProbe.CheckAsync(probe, host.Address, Patience, output, "", new GrpcClientOptions()));
        Assert.Equal(HealthProbe.NotServing, await HealthProbe.CheckAsync(probe, host.Address, Patience, output, "no.Such", new GrpcClientOptions()));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.EndsWith(": SERVING", lines[0].TrimEnd(), StringComparison.Ordinal);
        Assert.EndsWith(": NOT_SERVING", lines[1].TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("SERVICE_UNKNOWN", lines[2], StringComparison.Ordinal);
        await host.Server.StopAsync(TimeSpan.Zero);
        Assert.Equal(HealthProbe.Unreachable, await HealthProbe.CheckAsync(probe, host.Address, TimeSpan.FromSeconds(3), output, "", new GrpcClientOptions()));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Stop_waits_for_running_calls_within_the_grace_period(string client, string server)
    {
        var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        var echo = new Echo.EchoClient(channel.CallInvoker);
        var running = echo.SleepAsync(new SleepRequest { Millis = 300 });
        await host.Echo.CallStarted.Task.WaitAsync(Patience);
        await host.Server.StopAsync(Patience);
        Assert.Equal("slept", (await running).Text);
        await host.DisposeAsync();
        var after = await Assert.ThrowsAsync<RpcException>(async () => await echo.UnaryAsync(new EchoRequest()));
        Assert.Equal(StatusCode.Unavailable, after.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Stop_aborts_calls_that_outlive_the_grace_period(string client, string server)
    {
        var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        var running = new Echo.EchoClient(channel.CallInvoker).SleepAsync(new SleepRequest { Millis = 60_000 });
        await host.Echo.CallStarted.Task.WaitAsync(Patience);
        await host.Server.StopAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(Patience);
        Assert.True(await host.Echo.HandlerCancelled.Task.WaitAsync(Patience));
        var error = await Assert.ThrowsAsync<RpcException>(async () => await running);
        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        await host.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Many_concurrent_calls_share_one_channel(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server);
        using var channel = host.Channel(transport: client);
        var echo = new Echo.EchoClient(channel.CallInvoker);
        var calls = Enumerable.Range(0, 200).Select(async i =>
        {
            var reply = await echo.UnaryAsync(new EchoRequest { Text = i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) });
            return new string(reply.Text.Reverse().ToArray());
        });
        var texts = await Task.WhenAll(calls);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)), texts);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Listening_on_a_port_in_use_says_so(string transport)
    {
        await using var first = await TestServer.StartAsync(transport);
        var error = await Assert.ThrowsAsync<IOException>(() => TestServer.StartAsync(transport, new GrpcServerOptions { ListenUrl = $"http://127.0.0.1:{first.Port}" }));
        Assert.Contains($"127.0.0.1:{first.Port}", error.Message, StringComparison.Ordinal);
    }
}
