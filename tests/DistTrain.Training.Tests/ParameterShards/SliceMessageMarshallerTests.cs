using System.Buffers;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using Google.Protobuf;
using DistTrain.Transport.Tests.Support;

namespace DistTrain.Training.Tests.ParameterShards;

/// <summary>
/// The parameter-shard messages through their marshallers: what protobuf writes reads back equal,
/// blocks and slice states as received tensors (kept in place where the transport allows), and
/// large tensors written by reference.
/// </summary>
public sealed class SliceMessageMarshallerTests
{
    [Fact]
    public void Blocks_and_states_read_back_as_protobuf_wrote_them_into_received_tensors()
    {
        var random = new Random(21);
        foreach (var length in new[] { 0, 12, 32 * 1024, 64 * 1024 })
        {
            var values = RandomBytes(random, length);
            var gradient = new ExchangeRequest { Gradient = new GradientBlock { Version = 7, Shard = 3, Offset = 16384, Precision = WirePrecision.Bf16, Values = values } };
            var weights = new ExchangeReply { Weights = new WeightBlock { Version = 8, Offset = 32768, Precision = WirePrecision.Fp32, Values = values } };
            var state = new OwnerReport { State = new SliceState { Version = 9, OptimizerSteps = 9, Values = values } };

            AssertRoundTrip(ParameterShardMethods.ExchangeRequests, gradient, m => m.Gradient.Values, length);
            AssertRoundTrip(ParameterShardMethods.ExchangeReplies, weights, m => m.Weights.Values, length);
            AssertRoundTrip(ParameterShardMethods.OwnerReports, state, m => m.State.Values, length);
        }
    }

    [Fact]
    public void Every_other_message_goes_through_protobuf_unchanged()
    {
        var random = new Random(22);
        var assignment = new OwnerOrder
        {
            Assignment = new SliceAssignment
            {
                Slice = 2, Offset = 131072, Length = 104074, Model = new ModelSpec { LayerSizes = { 784, 256, 128, 10 }, Activation = Activation.Relu, Loss = Loss.CrossEntropy },
                Rule = new StepRule { Optimizer = Optimizer.Adam, LearningRate = 0.001f, Schedule = RateSchedule.Cosine, TotalIterations = 4680, BatchSize = 128, WeightDecay = 5e-4f },
                Shards = 4, Precision = WirePrecision.Bf16, Version = 200, OptimizerSteps = 200, HeartbeatIntervalMs = 1000, Values = RandomBytes(random, 3 * 4 * 1000),
            },
        };
        AssertRoundTrip(ParameterShardMethods.OwnerOrders, assignment, _ => ByteString.Empty, 0);
        AssertRoundTrip(ParameterShardMethods.OwnerReports, new OwnerReport { Join = new OwnerJoin { ServerName = "ps", ProtocolVersion = 1, Address = "http://0.0.0.0:50061" } }, _ => ByteString.Empty, 0);
        AssertRoundTrip(ParameterShardMethods.OwnerReports, new OwnerReport { State = new SliceState { Version = 3, Problem = "no" } }, _ => ByteString.Empty, 0);
        AssertRoundTrip(ParameterShardMethods.ExchangeRequests, new ExchangeRequest { PushEnd = new PushEnd { Version = 3, Shard = 1 } }, _ => ByteString.Empty, 0);
        AssertRoundTrip(ParameterShardMethods.ExchangeReplies, new ExchangeReply { Receipt = new PushReceipt { Version = 3, Problem = PushProblem.NotFinite, Detail = "x" } }, _ => ByteString.Empty, 0);
    }

    [Fact]
    public void A_gradient_block_is_kept_where_the_transport_received_it()
    {
        var message = new ExchangeRequest { Gradient = new GradientBlock { Version = 1, Offset = 0, Values = RandomBytes(new Random(4), 64 * 1024) } };
        var context = new TestDeserializationContext(new ReadOnlySequence<byte>(message.ToByteArray()), retain: true);

        var read = ParameterShardMethods.ExchangeRequests.ContextualDeserializer(context);

        Assert.Equal(message, read);
        Assert.True(ReceivedTensor.Of(read.Gradient.Values)!.IsRetained);
        ReceivedTensor.Release(read.Gradient.Values);
        Assert.Equal(1, context.Released);
    }

    private static void AssertRoundTrip<T>(Grpc.Core.Marshaller<T> marshaller, T message, Func<T, ByteString> tensor, int length)
        where T : IMessage<T>
    {
        var plain = new TestSerializationContext(takesTail: false);
        marshaller.ContextualSerializer(message, plain);
        Assert.Equal(message.CalculateSize(), plain.DeclaredLength);
        Assert.Equal(message.ToByteArray(), plain.Payload);

        var gathering = new TestSerializationContext.WithTail();
        marshaller.ContextualSerializer(message, gathering);
        Assert.Equal(length >= TensorMessageWriter.MinimumTensorBytes, !gathering.Inner.Tail.IsEmpty);
        Assert.Equal(plain.Payload, gathering.Inner.Payload);

        var read = marshaller.ContextualDeserializer(new TestDeserializationContext(Segments.Split(plain.Payload, new Random(length), 3)));
        Assert.Equal(message, read);
        var bytes = tensor(read);
        Assert.Equal(!bytes.IsEmpty, ReceivedTensor.Of(bytes) is not null);
        ReceivedTensor.Release(bytes);
    }

    private static ByteString RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }
}
