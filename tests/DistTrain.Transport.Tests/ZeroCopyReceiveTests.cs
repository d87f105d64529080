using DistTrain.Transport.Http2.Framing;
using DistTrain.Training.Protocol;
using DistTrain.Transport.Tests.Support;
using DistTrain.Training.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace DistTrain.Transport.Tests;

/// <summary>
/// Tensors received over the engine stay in the blocks they arrived in, on both ends, and
/// every block goes back to ArrayPool once the messages holding it are returned. These tests count
/// the blocks of the pool all streams share, so nothing else may run beside them.
/// </summary>
[Collection(nameof(ReceiveBlockAccounting))]
public sealed class ZeroCopyReceiveTests
{
    private const int MinimumLeasedBytes = 64 * 1024;

    private static readonly Method<CoordinatorMessage, CoordinatorMessage> WeightsEcho = new(
        MethodType.Unary, "disttrain.testing.Tensors", "WeightsEcho", TrainerMethods.CoordinatorMessages, TrainerMethods.CoordinatorMessages);

    [Fact]
    public async Task Received_tensors_are_left_in_their_receive_blocks_on_both_ends()
    {
        var serverLeased = new List<bool>();
        await using var server = await TestServer.StartAsync(TransportNames.Fast, TensorTransportTests.Large, JoinReverse(serverLeased));
        using var channel = server.Channel(TensorTransportTests.LargeClient);
        using var call = channel.CallInvoker.AsyncDuplexStreamingCall(TrainerMethods.Join, null, default);
        var random = new Random(11);
        var lengths = new[] { 10, MinimumLeasedBytes, 940_000, 2_000_000 };
        foreach (var length in lengths)
        {
            var gradient = RandomBytes(random, length);
            await call.RequestStream.WriteAsync(new WorkerMessage { Result = new ShardResult { Version = 1, Gradient = gradient } });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            var weights = call.ResponseStream.Current.Weights.Parameters;
            Assert.Equal(length >= MinimumLeasedBytes, ReceiveBlockTests.IsLeased(weights));
            Assert.Equal(gradient.Reverse().ToArray(), weights.ToByteArray());
            ReceivedTensor.Release(weights);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(lengths.Select(l => l >= MinimumLeasedBytes), serverLeased);
    }

    [Fact]
    public async Task Hundreds_of_megabyte_messages_give_every_block_back()
    {
        var blocks = ReceiveBlockPool.Default;
        var before = blocks.Outstanding;
        var peak = before;
        var serverLeased = new List<bool>();
        var echo = ServerServiceDefinition.CreateBuilder().AddMethod(WeightsEcho, (request, _) =>
        {
            var parameters = request.Weights.Parameters;
            serverLeased.Add(ReceiveBlockTests.IsLeased(parameters));
            var copy = ByteString.CopyFrom(parameters.Span);
            ReceivedTensor.Release(parameters);
            return Task.FromResult(new CoordinatorMessage { Weights = new WeightsBroadcast { Version = request.Weights.Version, Parameters = copy } });
        }).Build();
        await using (var server = await TestServer.StartAsync(TransportNames.Fast, TensorTransportTests.Large, JoinReverse(serverLeased), echo))
        {
            using var channel = server.Channel(TensorTransportTests.LargeClient);
            // A first message can go out in chunks, before the server's SETTINGS have opened its
            // window; this one is empty, so it is not counted.
            await channel.CallInvoker.AsyncUnaryCall(WeightsEcho, null, default, new CoordinatorMessage { Weights = new WeightsBroadcast() });
            var random = new Random(12);
            var gradient = RandomBytes(random, 1 << 20);
            var reversed = gradient.Reverse().ToArray();
            using (var call = channel.CallInvoker.AsyncDuplexStreamingCall(TrainerMethods.Join, null, default))
            {
                for (var i = 0; i < 300; i++)
                {
                    await call.RequestStream.WriteAsync(new WorkerMessage { Result = new ShardResult { Version = (ulong)i, Gradient = gradient } });
                    Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                    var weights = call.ResponseStream.Current.Weights.Parameters;
                    Assert.True(ReceiveBlockTests.IsLeased(weights));
                    Assert.True(weights.Span.SequenceEqual(reversed));
                    peak = Math.Max(peak, blocks.Outstanding);
                    ReceivedTensor.Release(weights);
                }
                await call.RequestStream.CompleteAsync();
                Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
            }
            var weightsSent = new CoordinatorMessage { Weights = new WeightsBroadcast { Version = 1, Parameters = gradient } };
            for (var i = 0; i < 50; i++)
            {
                var echoed = await channel.CallInvoker.AsyncUnaryCall(WeightsEcho, null, default, weightsSent);
                Assert.True(ReceiveBlockTests.IsLeased(echoed.Weights.Parameters));
                Assert.Equal(weightsSent, echoed);
                peak = Math.Max(peak, blocks.Outstanding);
                ReceivedTensor.Release(echoed.Weights.Parameters);
            }
        }
        Assert.Equal(350, serverLeased.Count(leased => leased));
        // A few blocks at a time (the stream's buffer on each end, a message being handled), not one per message.
        Assert.InRange(peak - before, 1, 16);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (blocks.Outstanding > before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.InRange(blocks.Outstanding, long.MinValue, before);
    }

    /// <summary>Join answering each result with weights of its gradient reversed, noting whether the gradient was left in its block.</summary>
    private static ServerServiceDefinition JoinReverse(List<bool> leased) =>
        TrainerMethods.Service(async (requests, responses, context) =>
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
                var result = requests.Current.Result;
                leased.Add(ReceiveBlockTests.IsLeased(result.Gradient));
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

/// <summary>Tests that count <see cref="ReceiveBlockPool.Default"/>'s blocks run alone.</summary>
[CollectionDefinition(nameof(ReceiveBlockAccounting), DisableParallelization = true)]
public sealed class ReceiveBlockAccounting;
