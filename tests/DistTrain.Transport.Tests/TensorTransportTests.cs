using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using DistTrain.Transport.Tests.Support;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Transport.Tests;

/// <summary>
/// The training protocol's tensor messages over a real connection, through the training
/// marshallers, for every client transport against every server transport: sent as a head plus
/// the tensor (from its own memory where the transport allows), received as a ReceivedTensor.
/// </summary>
public sealed class TensorTransportTests
{
    private const int MinimumTensorBytes = 64 * 1024;

    private static readonly Method<CoordinatorMessage, CoordinatorMessage> WeightsEcho = new(
        MethodType.Unary, "disttrain.testing.Tensors", "WeightsEcho", TrainerMethods.CoordinatorMessages, TrainerMethods.CoordinatorMessages);

    public static GrpcServerOptions Large => new() { MaxReceiveMessageSize = 4 << 20, MaxSendMessageSize = 4 << 20 };

    public static GrpcClientOptions LargeClient => new() { MaxReceiveMessageSize = 4 << 20, MaxSendMessageSize = 4 << 20 };

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Results_and_weights_of_every_size_cross_a_stream(string client, string server)
    {
        await using var host = await TestServer.StartAsync(server, Large, JoinEcho());
        using var channel = host.Channel(LargeClient, client);
        await AssertJoinEchoesEverySize(channel.CallInvoker);
    }

    /// <summary>Results of every size up the Join stream, each answered by weights of the same bytes reversed.</summary>
    internal static async Task AssertJoinEchoesEverySize(CallInvoker invoker)
    {
        using var call = invoker.AsyncDuplexStreamingCall(TrainerMethods.Join, null, default);
        var random = new Random(4);
        foreach (var length in new[] { 0, 10, MinimumTensorBytes - 1, MinimumTensorBytes, 940_000, 2_000_000 })
        {
            var gradient = RandomBytes(random, length);
            await call.RequestStream.WriteAsync(new WorkerMessage { Result = new ShardResult { Version = (ulong)length, Gradient = gradient } });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            var weights = call.ResponseStream.Current.Weights;
            Assert.Equal((ulong)length + 1, weights.Version);
            Assert.Equal(gradient.Reverse().ToArray(), weights.Parameters.ToByteArray());
            // Every received tensor is one handle, released exactly here.
            var tensor = ReceivedTensor.Of(weights.Parameters);
            Assert.Equal(length > 0, tensor is not null);
            ReceivedTensor.Release(weights.Parameters);
            Assert.True(tensor is null || tensor.IsReleased);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(TransportNames.Pairs), MemberType = typeof(TransportNames))]
    public async Task Concurrent_calls_past_the_connection_window_take_turns(string client, string server)
    {
        // The 1.1 MB limit gives a connection window of about 4.4 MB: eight 1 MB calls at once
        // cannot all go out as one frame, so some are sent in chunks as credit returns.
        var limits = new GrpcServerOptions { MaxReceiveMessageSize = 1_100_000, MaxSendMessageSize = 1_100_000 };
        var echo = ServerServiceDefinition.CreateBuilder().AddMethod(WeightsEcho, (request, _) => Task.FromResult(request)).Build();
        await using var host = await TestServer.StartAsync(server, limits, echo);
        using var channel = host.Channel(new GrpcClientOptions { MaxReceiveMessageSize = 1_100_000, MaxSendMessageSize = 1_100_000 }, client);
        var random = new Random(6);
        var sent = Enumerable.Range(0, 8).Select(i => new CoordinatorMessage { Weights = new WeightsBroadcast { Version = (ulong)i, Parameters = RandomBytes(random, 1_000_000) } }).ToArray();
        var replies = await Task.WhenAll(sent.Select(m => channel.CallInvoker.AsyncUnaryCall(WeightsEcho, null, default, m).ResponseAsync));
        for (var i = 0; i < sent.Length; i++)
        {
            Assert.Equal(sent[i], replies[i]);
            ReceivedTensor.Release(replies[i].Weights.Parameters);
        }
    }

    /// <summary>Join answering each result with weights holding its gradient reversed, version + 1.</summary>
    internal static ServerServiceDefinition JoinEcho() =>
        TrainerMethods.Service(async (requests, responses, context) =>
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
                var result = requests.Current.Result;
                var reversed = result.Gradient.ToByteArray().Reverse().ToArray();
                ReceivedTensor.Release(result.Gradient);
                await responses.WriteAsync(new CoordinatorMessage { Weights = new WeightsBroadcast { Version = result.Version + 1, Parameters = ByteString.CopyFrom(reversed) } });
            }
        });

    private static ByteString RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }
}
