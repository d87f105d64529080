using DistTrain.Rpc.Testing;
using DistTrain.Rpc.Tests.Support;
using Google.Protobuf;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistTrain.Rpc.Tests;

/// <summary>Our client against our server: the behaviours the interop tests cannot reach.</summary>
public sealed class LoopbackTests
{
    [Fact]
    public async Task Unary_round_trip_with_metadata_and_deadline()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var reply = await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "abc", Payload = ByteString.CopyFrom(1, 2, 3) }, EchoReply.Parser,
            new CallOptions(Deadline: deadline, Headers: new Metadata { { "X-Worker", "w1" } }));
        Assert.Equal("cba", reply.Text);
        Assert.Equal(new byte[] { 3, 2, 1 }, reply.Payload.ToByteArray());
        var context = server.Echo.LastContext!;
        Assert.Equal(EchoService.Unary, context.Method);
        Assert.Equal("w1", context.RequestHeaders.Get("x-worker"));
        Assert.Null(context.RequestHeaders.Get("grpc-timeout"));
        Assert.InRange(context.Deadline!.Value, deadline.AddSeconds(-2), deadline.AddSeconds(1));
    }

    [Fact]
    public async Task Duplex_stream_of_one_megabyte_messages()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        using var call = channel.DuplexStreaming<EchoRequest, EchoReply>(EchoService.Chat, EchoReply.Parser);
        for (var i = 1; i <= 5; i++)
        {
            var payload = new byte[1 << 20];
            Random.Shared.NextBytes(payload);
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"r{i}", Payload = ByteString.CopyFrom(payload) });
            Assert.True(await call.ResponseStream.MoveNext());
            Array.Reverse(payload);
            Assert.Equal(payload, call.ResponseStream.Current.Payload.ToByteArray());
            Assert.Equal((uint)i, call.ResponseStream.Current.Sequence);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
        Assert.False(await call.ResponseStream.MoveNext());
    }

    [Fact]
    public async Task Concurrent_writes_on_one_stream_are_not_interleaved()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        using var call = channel.DuplexStreaming<EchoRequest, EchoReply>(EchoService.Chat, EchoReply.Parser);
        var writes = Enumerable.Range(0, 8).Select(i =>
            call.RequestStream.WriteAsync(new EchoRequest { Text = $"t{i}", Payload = ByteString.CopyFrom(new byte[100_000 + i]) }));
        await Task.WhenAll(writes);
        await call.RequestStream.CompleteAsync();
        var texts = new List<string>();
        while (await call.ResponseStream.MoveNext())
        {
            texts.Add(call.ResponseStream.Current.Text);
            Assert.Equal(100_000 + int.Parse(call.ResponseStream.Current.Text[..^1], System.Globalization.CultureInfo.InvariantCulture), call.ResponseStream.Current.Payload.Length);
        }
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"{i}t").Order(), texts.Order());
    }

    [Fact]
    public async Task Handler_status_and_exceptions()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var failed = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "fail" }, EchoReply.Parser));
        Assert.Equal(StatusCode.FailedPrecondition, failed.StatusCode);
        Assert.Equal("asked to fail", failed.Detail);

        var crashed = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "crash" }, EchoReply.Parser));
        Assert.Equal(StatusCode.Internal, crashed.StatusCode);
        Assert.DoesNotContain("secret", crashed.Detail, StringComparison.Ordinal);
        Assert.True(await server.Logs.WaitForAsync(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error && e.Exception is InvalidOperationException));
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented_for_unary_and_streams()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var unary = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync("/no.Such/Method", new EchoRequest(), EchoReply.Parser));
        Assert.Equal(StatusCode.Unimplemented, unary.StatusCode);
        using var call = channel.DuplexStreaming<EchoRequest, EchoReply>("/no.Such/Stream", EchoReply.Parser);
        var stream = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Unimplemented, stream.StatusCode);
    }

    [Fact]
    public async Task Bearer_token_guards_everything_but_health()
    {
        const string token = "tok-123";
        await using var server = await TestServer.StartAsync(new GrpcServerOptions { AuthToken = token });
        using var anonymous = server.Channel();
        var error = await Assert.ThrowsAsync<RpcException>(() => anonymous.UnaryAsync(EchoService.Unary, new EchoRequest(), EchoReply.Parser));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        // Even unknown methods answer UNAUTHENTICATED: no probing for names without the token.
        var probe = await Assert.ThrowsAsync<RpcException>(() => anonymous.UnaryAsync("/no.Such/Method", new EchoRequest(), EchoReply.Parser));
        Assert.Equal(StatusCode.Unauthenticated, probe.StatusCode);
        var health = await anonymous.UnaryAsync(HealthService.CheckMethod, new HealthCheckRequest(), HealthCheckResponse.Parser);
        Assert.Equal(ServingStatus.Serving, health.Status);

        using var authorized = server.Channel(new GrpcChannelOptions { AuthToken = token });
        Assert.Equal("ko", (await authorized.UnaryAsync(EchoService.Unary, new EchoRequest { Text = "ok" }, EchoReply.Parser)).Text);
        Assert.Null(server.Echo.LastContext!.RequestHeaders.Get("authorization"));
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Message_size_limits_on_all_four_sides()
    {
        await using var server = await TestServer.StartAsync(
            new GrpcServerOptions { MaxReceiveMessageSize = 100_000, MaxSendMessageSize = 200_000 },
            registry => registry.AddUnary<SleepRequest, EchoReply>("/test.Big/Reply", SleepRequest.Parser, (request, _) =>
                Task.FromResult(new EchoReply { Payload = ByteString.CopyFrom(new byte[request.Millis]) })));
        using var channel = server.Channel(new GrpcChannelOptions { MaxSendMessageSize = 150_000, MaxReceiveMessageSize = 120_000 });

        async Task<StatusCode> Status(Func<Task> call) => (await Assert.ThrowsAsync<RpcException>(call)).StatusCode;

        // Client refuses to send over its limit (nothing goes on the wire).
        Assert.Equal(StatusCode.ResourceExhausted, await Status(() =>
            channel.UnaryAsync(EchoService.Unary, new EchoRequest { Payload = ByteString.CopyFrom(new byte[160_000]) }, EchoReply.Parser)));
        // Server refuses to receive over its limit.
        Assert.Equal(StatusCode.ResourceExhausted, await Status(() =>
            channel.UnaryAsync(EchoService.Unary, new EchoRequest { Payload = ByteString.CopyFrom(new byte[110_000]) }, EchoReply.Parser)));
        // Server refuses to send over its limit.
        Assert.Equal(StatusCode.ResourceExhausted, await Status(() =>
            channel.UnaryAsync("/test.Big/Reply", new SleepRequest { Millis = 210_000 }, EchoReply.Parser)));
        // Client refuses to receive over its limit.
        Assert.Equal(StatusCode.ResourceExhausted, await Status(() =>
            channel.UnaryAsync("/test.Big/Reply", new SleepRequest { Millis = 130_000 }, EchoReply.Parser)));
        // Just under every limit works.
        var reply = await channel.UnaryAsync("/test.Big/Reply", new SleepRequest { Millis = 110_000 }, EchoReply.Parser);
        Assert.Equal(110_000, reply.Payload.Length);
    }

    [Fact]
    public async Task Deadline_expires_on_the_client_and_cancels_the_handler()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Sleep, new SleepRequest { Millis = 30_000 }, EchoReply.Parser, new CallOptions(Deadline: DateTime.UtcNow.AddMilliseconds(200))));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Deadline_already_past_fails_without_calling()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, new EchoRequest(), EchoReply.Parser, new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(-1))));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Null(server.Echo.LastContext);
    }

    [Fact]
    public async Task Client_cancellation_resets_the_stream_and_fires_the_server_token()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        using var cancel = new CancellationTokenSource();
        var call = channel.UnaryAsync(EchoService.Sleep, new SleepRequest { Millis = 30_000 }, EchoReply.Parser, new CallOptions(CancellationToken: cancel.Token));
        await server.Echo.CallStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Disposing_a_duplex_call_cancels_it_on_the_server()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var call = channel.DuplexStreaming<EchoRequest, EchoReply>(EchoService.Chat, EchoReply.Parser);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "x" });
        Assert.True(await call.ResponseStream.MoveNext());
        call.Dispose();
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAnyAsync<Exception>(() => call.RequestStream.WriteAsync(new EchoRequest()));
    }

    [Fact]
    public async Task Cancelling_a_duplex_call_token_ends_reads_with_cancelled()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        using var cancel = new CancellationTokenSource();
        using var call = channel.DuplexStreaming<EchoRequest, EchoReply>(EchoService.Chat, EchoReply.Parser, new CallOptions(CancellationToken: cancel.Token));
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "x" });
        Assert.True(await call.ResponseStream.MoveNext());
        var pending = call.ResponseStream.MoveNext();
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => pending);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Duplex_deadline_ends_the_call_on_both_sides()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        using var call = channel.DuplexStreaming<EchoRequest, EchoReply>(EchoService.Chat, EchoReply.Parser, new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(1)));
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "x" });
        Assert.True(await call.ResponseStream.MoveNext());
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Writing_after_the_server_ended_the_call_reports_that_end()
    {
        await using var server = await TestServer.StartAsync(register: registry =>
        {
            registry.AddDuplexStreaming<EchoRequest, EchoReply>("/test.Quick/Done", EchoRequest.Parser, (_, _, _) => Task.CompletedTask);
            registry.AddDuplexStreaming<EchoRequest, EchoReply>("/test.Quick/Refuse", EchoRequest.Parser, (_, _, _) =>
                throw new RpcException(StatusCode.FailedPrecondition, "not now"));
        });
        using var channel = server.Channel();

        using var done = channel.DuplexStreaming<EchoRequest, EchoReply>("/test.Quick/Done", EchoReply.Parser);
        Assert.False(await done.ResponseStream.MoveNext());
        await Assert.ThrowsAsync<InvalidOperationException>(() => done.RequestStream.WriteAsync(new EchoRequest()));

        using var refused = channel.DuplexStreaming<EchoRequest, EchoReply>("/test.Quick/Refuse", EchoReply.Parser);
        Assert.Equal(StatusCode.FailedPrecondition, (await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext())).StatusCode);
        var write = await Assert.ThrowsAsync<RpcException>(() => refused.RequestStream.WriteAsync(new EchoRequest()));
        Assert.Equal(StatusCode.FailedPrecondition, write.StatusCode);
        Assert.Equal("not now", write.Detail);
    }

    [Fact]
    public async Task Health_watch_streams_status_changes_and_ends_when_the_server_stops()
    {
        var server = await TestServer.StartAsync();
        try
        {
            using var channel = server.Channel();
            server.Server.Health.SetStatus("svc", ServingStatus.Serving);
            var watch = channel.DuplexStreaming<HealthCheckRequest, HealthCheckResponse>(HealthService.WatchMethod, HealthCheckResponse.Parser);
            await watch.RequestStream.WriteAsync(new HealthCheckRequest { Service = "svc" });
            await watch.RequestStream.CompleteAsync();
            Assert.True(await watch.ResponseStream.MoveNext());
            Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);

            server.Server.Health.SetStatus("svc", ServingStatus.NotServing);
            Assert.True(await watch.ResponseStream.MoveNext());
            Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);

            using var unknown = channel.DuplexStreaming<HealthCheckRequest, HealthCheckResponse>(HealthService.WatchMethod, HealthCheckResponse.Parser);
            await unknown.RequestStream.WriteAsync(new HealthCheckRequest { Service = "later" });
            await unknown.RequestStream.CompleteAsync();
            Assert.True(await unknown.ResponseStream.MoveNext());
            Assert.Equal(ServingStatus.ServiceUnknown, unknown.ResponseStream.Current.Status);
            server.Server.Health.SetStatus("later", ServingStatus.Serving);
            Assert.True(await unknown.ResponseStream.MoveNext());
            Assert.Equal(ServingStatus.Serving, unknown.ResponseStream.Current.Status);

            var stopping = server.Server.StopAsync(TimeSpan.FromSeconds(5));
            Assert.True(await unknown.ResponseStream.MoveNext());
            Assert.Equal(ServingStatus.NotServing, unknown.ResponseStream.Current.Status);
            Assert.False(await unknown.ResponseStream.MoveNext());
            Assert.False(await watch.ResponseStream.MoveNext());
            await stopping.WaitAsync(TimeSpan.FromSeconds(5));
            watch.Dispose();
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Health_probe_exit_codes()
    {
        await using var server = await TestServer.StartAsync();
        var output = new StringWriter();
        Assert.Equal(0, await HealthProbe.CheckAsync(server.Address, TimeSpan.FromSeconds(5), output));
        server.Server.Health.SetStatus(string.Empty, ServingStatus.NotServing);
        Assert.Equal(1, await HealthProbe.CheckAsync(server.Address, TimeSpan.FromSeconds(5), output));
        Assert.Equal(1, await HealthProbe.CheckAsync(server.Address, TimeSpan.FromSeconds(5), output, "no.Such"));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.EndsWith(": SERVING", lines[0].TrimEnd(), StringComparison.Ordinal);
        Assert.EndsWith(": NOT_SERVING", lines[1].TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("SERVICE_UNKNOWN", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_waits_for_running_calls_within_the_grace_period()
    {
        var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var running = channel.UnaryAsync(EchoService.Sleep, new SleepRequest { Millis = 300 }, EchoReply.Parser);
        await server.Echo.CallStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await server.Server.StopAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("slept", (await running).Text);
        await server.DisposeAsync();
        var after = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, new EchoRequest(), EchoReply.Parser));
        Assert.Equal(StatusCode.Unavailable, after.StatusCode);
    }

    [Fact]
    public async Task Stop_aborts_calls_that_outlive_the_grace_period()
    {
        var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var running = channel.UnaryAsync(EchoService.Sleep, new SleepRequest { Millis = 60_000 }, EchoReply.Parser);
        await server.Echo.CallStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await server.Server.StopAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        var error = await Assert.ThrowsAsync<RpcException>(() => running);
        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Many_concurrent_calls_share_one_channel()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.Channel();
        var calls = Enumerable.Range(0, 200).Select(async i =>
        {
            var reply = await channel.UnaryAsync(EchoService.Unary, new EchoRequest { Text = i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) }, EchoReply.Parser);
            return new string(reply.Text.Reverse().ToArray());
        });
        var texts = await Task.WhenAll(calls);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)), texts);
    }
}
