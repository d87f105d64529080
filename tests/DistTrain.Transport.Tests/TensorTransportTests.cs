using DistTrain.Rpc.Tensors;
using DistTrain.Rpc.Tests.Support;
using DistTrain.Rpc.V1;
using Google.Protobuf;

namespace DistTrain.Rpc.Tests;

/// <summary>
/// Tensor messages over a real connection: sent as a head plus the tensor from its own memory
/// (one frame, or chunks when the window is short), read into pooled buffers.
/// </summary>
public sealed class TensorTransportTests
{
    private const string WeightsEcho = "/disttrain.testing.Tensors/WeightsEcho";

    [Fact]
    public void A_split_message_is_the_message()
    {
        var random = new Random(3);
        foreach (var length in new[] { TensorMessageSplitter.MinimumTensorBytes, 100_000, 940_000 })
        {
            var gradient = RandomBytes(random, length);
            var result = new ShardResult { TaskId = 9, Version = ulong.MaxValue, ShardIndex = 1, SampleCount = 64, LossSum = -2.5, Correct = 3, Precision = WirePrecision.Bf16, Gradient = gradient, ComputeMicros = 77 };
            var weights = new WeightsBroadcast { Version = 5, Precision = WirePrecision.Fp32, Parameters = gradient };
            AssertSplitsInto(new WorkerMessage { Result = result }, WorkerMessage.Parser);
            AssertSplitsInto(new CoordinatorMessage { Weights = weights }, CoordinatorMessage.Parser);
            AssertSplitsInto(result, ShardResult.Parser);
            AssertSplitsInto(weights, WeightsBroadcast.Parser);
        }
        var small = ByteString.CopyFrom(new byte[TensorMessageSplitter.MinimumTensorBytes - 1]);
        Assert.False(TensorMessageSplitter.TrySplit(new CoordinatorMessage { Weights = new WeightsBroadcast { Parameters = small } }, out _));
        Assert.False(TensorMessageSplitter.TrySplit(new CoordinatorMessage { Task = new ShardTask { Pixels = RandomBytes(random, 200_000) } }, out _));
    }

    [Fact]
    public async Task Results_and_weights_of_every_size_cross_a_stream()
    {
        await using var server = await TestServer.StartAsync(register: RegisterJoinEcho);
        using var channel = server.Channel();
        await AssertJoinEchoesEverySize(channel);
    }

    /// <summary>Results of every size up the Join stream, each answered by weights of the same bytes reversed.</summary>
    internal static async Task AssertJoinEchoesEverySize(GrpcChannel channel)
    {
        using var call = channel.DuplexStreaming<WorkerMessage, CoordinatorMessage>(TrainerMethods.Join, TensorMessageReaders.Coordinator);
        var random = new Random(4);
        foreach (var length in new[] { 0, 10, TensorMessageSplitter.MinimumTensorBytes - 1, TensorMessageSplitter.MinimumTensorBytes, 940_000, 2_000_000 })
        {
            var gradient = RandomBytes(random, length);
            await call.RequestStream.WriteAsync(new WorkerMessage { Result = new ShardResult { Version = (ulong)length, Gradient = gradient } });
            Assert.True(await call.ResponseStream.MoveNext());
            var weights = call.ResponseStream.Current.Weights;
            Assert.Equal((ulong)length + 1, weights.Version);
            Assert.Equal(gradient.Reverse().ToArray(), weights.Parameters.ToByteArray());
            TensorBuffers.Return(weights.Parameters);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
    }

    [Fact]
    public async Task Concurrent_calls_past_the_connection_window_take_turns()
    {
        // The server's 1.1 MB limit gives a connection window of about 4.4 MB: eight 1 MB calls at
        // once cannot all go out as one frame, so some are sent in chunks as credit returns.
        await using var server = await TestServer.StartAsync(new GrpcServerOptions { MaxReceiveMessageSize = 1_100_000, MaxSendMessageSize = 1_100_000 }, RegisterWeightsEcho);
        using var channel = server.Channel();
        var random = new Random(6);
        var sent = Enumerable.Range(0, 8).Select(i => new WeightsBroadcast { Version = (ulong)i, Parameters = RandomBytes(random, 1_000_000) }).ToArray();
        var replies = await Task.WhenAll(sent.Select(m => channel.UnaryAsync(WeightsEcho, m, TensorMessageReaders.Weights)));
        for (var i = 0; i < sent.Length; i++)
        {
            Assert.Equal(sent[i], replies[i]);
            TensorBuffers.Return(replies[i].Parameters);
        }
    }

    /// <summary>Join answering each result with weights holding its gradient reversed, version + 1.</summary>
    internal static void RegisterJoinEcho(ServiceRegistry registry) =>
        registry.AddDuplexStreaming<WorkerMessage, CoordinatorMessage>(TrainerMethods.Join, TensorMessageReaders.Worker, async (requests, responses, _) =>
        {
            while (await requests.MoveNext())
            {
                var result = requests.Current.Result;
                var reversed = result.Gradient.ToByteArray().Reverse().ToArray();
                TensorBuffers.Return(result.Gradient);
                await responses.WriteAsync(new CoordinatorMessage { Weights = new WeightsBroadcast { Version = result.Version + 1, Parameters = ByteString.CopyFrom(reversed) } });
            }
        });

    private static void RegisterWeightsEcho(ServiceRegistry registry) =>
        registry.AddUnary<WeightsBroadcast, WeightsBroadcast>(WeightsEcho, TensorMessageReaders.Weights, (request, _) => Task.FromResult(request));

    private static void AssertSplitsInto<T>(T message, MessageParser<T> parser)
        where T : IMessage<T>
    {
        Assert.True(TensorMessageSplitter.TrySplit(message, out var split));
        Assert.Equal(message.CalculateSize(), split.HeadSize + split.Tensor.Length);
        var bytes = new byte[split.HeadSize + split.Tensor.Length];
        split.WriteHead(bytes);
        split.Tensor.Span.CopyTo(bytes.AsSpan(split.HeadSize));
        Assert.Equal(message, parser.ParseFrom(bytes));
    }

    private static ByteString RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }
}
