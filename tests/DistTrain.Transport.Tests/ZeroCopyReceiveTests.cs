using DistTrain.Rpc.Http2;
using DistTrain.Rpc.Tensors;
using DistTrain.Rpc.Tests.Support;
using DistTrain.Rpc.V1;
using Google.Protobuf;

namespace DistTrain.Rpc.Tests;

/// <summary>
/// Tensors received over a real connection stay in the blocks they arrived in, on both ends, and
/// every block goes back to ArrayPool once the messages holding it are returned. These tests count
/// the blocks of the pool all streams share, so nothing else may run beside them.
/// </summary>
[Collection(nameof(ReceiveBlockAccounting))]
public sealed class ZeroCopyReceiveTests
{
    private const string WeightsEcho = "/disttrain.testing.Tensors/WeightsEcho";

    [Fact]
    public async Task Received_tensors_are_left_in_their_receive_blocks_on_both_ends()
    {
        var serverLeased = new List<bool>();
        await using var server = await TestServer.StartAsync(register: registry => RegisterJoinReverse(registry, serverLeased));
        using var channel = server.Channel();
        using var call = channel.DuplexStreaming<WorkerMessage, CoordinatorMessage>(TrainerMethods.Join, TensorMessageReaders.Coordinator);
        var random = new Random(11);
        var lengths = new[] { 10, TensorBuffers.MinimumLeasedBytes, 940_000, 2_000_000 };
        foreach (var length in lengths)
        {
            var gradient = RandomBytes(random, length);
            await call.RequestStream.WriteAsync(new WorkerMessage { Result = new ShardResult { Version = 1, Gradient = gradient } });
            Assert.True(await call.ResponseStream.MoveNext());
            var weights = call.ResponseStream.Current.Weights.Parameters;
            Assert.Equal(length >= TensorBuffers.MinimumLeasedBytes, ReceiveBlockTests.IsLeased(weights));
            Assert.Equal(gradient.Reverse().ToArray(), weights.ToByteArray());
            TensorBuffers.Return(weights);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
        Assert.Equal(lengths.Select(l => l >= TensorBuffers.MinimumLeasedBytes), serverLeased);
    }

    [Fact]
    public async Task Hundreds_of_megabyte_messages_give_every_block_back()
    {
        var blocks = ReceiveBlockPool.Default;
        var before = blocks.Outstanding;
        var peak = before;
        var serverLeased = new List<bool>();
        await using (var server = await TestServer.StartAsync(register: registry =>
        {
            RegisterJoinReverse(registry, serverLeased);
            registry.AddUnary<WeightsBroadcast, WeightsBroadcast>(WeightsEcho, TensorMessageReaders.Weights, (request, _) =>
            {
                serverLeased.Add(ReceiveBlockTests.IsLeased(request.Parameters));
                var copy = ByteString.CopyFrom(request.Parameters.Span);
                TensorBuffers.Return(request.Parameters);
                return Task.FromResult(new WeightsBroadcast { Version = request.Version, Parameters = copy });
            });
        }))
        {
            using var channel = server.Channel();
            // A first message can go out in chunks, before the server's SETTINGS have opened its
            // window; this one is empty, so it is not counted.
            await channel.UnaryAsync(WeightsEcho, new WeightsBroadcast(), TensorMessageReaders.Weights);
            var random = new Random(12);
            var gradient = RandomBytes(random, 1 << 20);
            var reversed = gradient.Reverse().ToArray();
            using (var call = channel.DuplexStreaming<WorkerMessage, CoordinatorMessage>(TrainerMethods.Join, TensorMessageReaders.Coordinator))
            {
                for (var i = 0; i < 300; i++)
                {
                    await call.RequestStream.WriteAsync(new WorkerMessage { Result = new ShardResult { Version = (ulong)i, Gradient = gradient } });
                    Assert.True(await call.ResponseStream.MoveNext());
                    var weights = call.ResponseStream.Current.Weights.Parameters;
                    Assert.True(ReceiveBlockTests.IsLeased(weights));
                    Assert.True(weights.Span.SequenceEqual(reversed));
                    peak = Math.Max(peak, blocks.Outstanding);
                    TensorBuffers.Return(weights);
                }
                await call.RequestStream.CompleteAsync();
                Assert.False(await call.ResponseStream.MoveNext());
            }
            var weightsSent = new WeightsBroadcast { Version = 1, Parameters = gradient };
            for (var i = 0; i < 50; i++)
            {
                var echoed = await channel.UnaryAsync(WeightsEcho, weightsSent, TensorMessageReaders.Weights);
                Assert.True(ReceiveBlockTests.IsLeased(echoed.Parameters));
                Assert.Equal(weightsSent, echoed);
                peak = Math.Max(peak, blocks.Outstanding);
                TensorBuffers.Return(echoed.Parameters);
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
    private static void RegisterJoinReverse(ServiceRegistry registry, List<bool> leased) =>
        registry.AddDuplexStreaming<WorkerMessage, CoordinatorMessage>(TrainerMethods.Join, TensorMessageReaders.Worker, async (requests, responses, _) =>
        {
            while (await requests.MoveNext())
            {
                var result = requests.Current.Result;
                leased.Add(ReceiveBlockTests.IsLeased(result.Gradient));
                var reversed = result.Gradient.ToByteArray().Reverse().ToArray();
                TensorBuffers.Return(result.Gradient);
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
