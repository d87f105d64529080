using System.Security.Cryptography;
using DistTrain.Transport.Tests.Support;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;

namespace DistTrain.Transport.Tests;

/// <summary>An independent client (Python grpcio) against each of our server transports.</summary>
public sealed class PythonClientInteropTests(PythonInterop python) : IClassFixture<PythonInterop>
{
    private const string Token = "s3cret-token";

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Unary_call_reads_the_request_and_returns_the_reply(string transport)
    {
        await using var server = await TestServer.StartAsync(transport, Large);
        var result = await python.RunClientAsync("--target", Target(server), "--scenario", "unary", "--text", "hello", "--payload-hex", "0102ff");
        Assert.Equal("OK", result.GetProperty("code").GetString());
        Assert.Equal("olleh", result.GetProperty("text").GetString());
        Assert.Equal("ff0201", result.GetProperty("payload_hex").GetString());
        Assert.Equal("from-python", server.Echo.LastCall!.RequestHeaders.GetValue("x-tag"));
        Assert.StartsWith("ipv4:127.0.0.1:", server.Echo.LastCall.Peer, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task One_megabyte_each_way(string transport)
    {
        await using var server = await TestServer.StartAsync(transport, Large);
        const int size = 1 << 20;
        var result = await python.RunClientAsync("--target", Target(server), "--scenario", "large", "--size", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("OK", result.GetProperty("code").GetString());
        var expected = Enumerable.Range(0, size).Select(i => (byte)(i * 7 % 251)).Reverse().ToArray();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), result.GetProperty("payload_sha256").GetString());
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Bidirectional_stream_answers_each_message_in_order(string transport)
    {
        await using var server = await TestServer.StartAsync(transport, Large);
        var result = await python.RunClientAsync("--target", Target(server), "--scenario", "chat", "--count", "4");
        Assert.Equal("OK", result.GetProperty("code").GetString());
        var replies = result.GetProperty("replies").EnumerateArray().ToArray();
        Assert.Equal(4, replies.Length);
        for (var i = 0; i < replies.Length; i++)
        {
            Assert.Equal($"{i}m", replies[i].GetProperty("text").GetString());
            Assert.Equal(i + 1, replies[i].GetProperty("sequence").GetInt32());
            Assert.Equal(Convert.ToHexStringLower(Enumerable.Repeat((byte)i, i + 1).ToArray()), replies[i].GetProperty("payload_hex").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Health_check_reports_serving_and_unknown_services_as_not_found(string transport)
    {
        await using var server = await TestServer.StartAsync(transport, new GrpcServerOptions { AuthToken = Token });
        var serving = await python.RunClientAsync("--target", Target(server), "--scenario", "health");
        Assert.Equal("OK", serving.GetProperty("code").GetString());
        Assert.Equal("SERVING", serving.GetProperty("status").GetString());

        server.Server.SetServingStatus("disttrain.v1.Trainer", Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing);
        var notServing = await python.RunClientAsync("--target", Target(server), "--scenario", "health", "--service", "disttrain.v1.Trainer");
        Assert.Equal("NOT_SERVING", notServing.GetProperty("status").GetString());

        var unknown = await python.RunClientAsync("--target", Target(server), "--scenario", "health", "--service", "no.Such");
        Assert.Equal("NOT_FOUND", unknown.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Unknown_method_is_unimplemented(string transport)
    {
        await using var server = await TestServer.StartAsync(transport, Large);
        var result = await python.RunClientAsync("--target", Target(server), "--scenario", "unimplemented");
        Assert.Equal("UNIMPLEMENTED", result.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Calls_need_the_right_bearer_token(string transport)
    {
        await using var server = await TestServer.StartAsync(transport, new GrpcServerOptions { AuthToken = Token });
        var missing = await python.RunClientAsync("--target", Target(server), "--scenario", "unary");
        Assert.Equal("UNAUTHENTICATED", missing.GetProperty("code").GetString());
        var wrong = await python.RunClientAsync("--target", Target(server), "--scenario", "chat", "--token", "s3cret-tokeN");
        Assert.Equal("UNAUTHENTICATED", wrong.GetProperty("code").GetString());
        var right = await python.RunClientAsync("--target", Target(server), "--scenario", "chat", "--token", Token);
        Assert.Equal("OK", right.GetProperty("code").GetString());
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(Token, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Oversized_request_is_resource_exhausted(string transport)
    {
        await using var server = await TestServer.StartAsync(transport, new GrpcServerOptions { MaxReceiveMessageSize = 64 * 1024 });
        var result = await python.RunClientAsync("--target", Target(server), "--scenario", "large", "--size", "100000");
        Assert.Equal("RESOURCE_EXHAUSTED", result.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Expired_deadline_is_deadline_exceeded_and_cancels_the_handler(string transport)
    {
        await using var server = await TestServer.StartAsync(transport, Large);
        var result = await python.RunClientAsync("--target", Target(server), "--scenario", "sleep", "--millis", "20000", "--timeout", "1");
        Assert.Equal("DEADLINE_EXCEEDED", result.GetProperty("code").GetString());
        Assert.True(await server.Echo.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        var deadline = server.Echo.LastCall!.Deadline;
        Assert.NotEqual(DateTime.MaxValue, deadline);
    }

    [Theory]
    [MemberData(nameof(TransportNames.Each), MemberType = typeof(TransportNames))]
    public async Task Trainer_join_round_trip_with_the_real_method_name(string transport)
    {
        var join = TrainerMethods.Service(async (requests, responses, context) =>
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
                if (requests.Current.KindCase == WorkerMessage.KindOneofCase.Join)
                {
                    await responses.WriteAsync(new CoordinatorMessage
                    {
                        Accepted = new JoinAccepted
                        {
                            WorkerId = "w-" + requests.Current.Join.WorkerName,
                            Model = new ModelSpec { LayerSizes = { 784, 64, 10 } },
                        },
                    });
                }
            }
        });
        await using var server = await TestServer.StartAsync(transport, null, join);
        var result = await python.RunClientAsync("--target", Target(server), "--scenario", "join", "--text", "alpha");
        Assert.Equal("OK", result.GetProperty("code").GetString());
        Assert.Equal("accepted", result.GetProperty("kind").GetString());
        Assert.Equal("w-alpha", result.GetProperty("worker_id").GetString());
        Assert.Equal([784, 64, 10], result.GetProperty("layer_sizes").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    private static GrpcServerOptions Large => new() { MaxReceiveMessageSize = 8 << 20, MaxSendMessageSize = 8 << 20 };

    private static string Target(TestServer server) => $"127.0.0.1:{server.Port}";
}
