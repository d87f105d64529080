using System.Buffers;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using Google.Protobuf;
using DistTrain.Transport.Tests.Support;

namespace DistTrain.Training.Tests;

/// <summary>
/// The training protocol's marshallers against protobuf: the hand-written readers give the same
/// message for everything protobuf writes and the same result or error for everything else; the
/// writer sends what protobuf would (tensor field last); every received tensor is one
/// ReceivedTensor, kept in place when the transport allows and copied once otherwise.
/// </summary>
public sealed class TensorMarshallerTests
{
    [Fact]
    public void Weights_and_results_read_as_protobuf_reads_them_into_received_tensors()
    {
        var random = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var weights = RandomWeights(random);
            var result = RandomResult(random);
            AssertReceived(p => TensorMessageReaders.ReadWeights(p, null), weights, random, m => m.Parameters);
            AssertReceived(p => TensorMessageReaders.ReadResult(p, null), result, random, m => m.Gradient);
            AssertReceived(p => TensorMessageReaders.ReadCoordinatorMessage(p, null), new CoordinatorMessage { Weights = weights }, random, m => m.Weights.Parameters);
            AssertReceived(p => TensorMessageReaders.ReadWorkerMessage(p, null), new WorkerMessage { Result = result }, random, m => m.Result.Gradient);
        }
    }

    [Fact]
    public void Gradient_and_weight_blocks_with_and_without_their_maps_read_as_protobuf_reads_them()
    {
        var random = new Random(11);
        for (var i = 0; i < 200; i++)
        {
            var block = new GradientBlock
            {
                Version = RandomUInt64(random), Shard = (uint)random.Next(), Offset = (uint)random.Next(),
                Precision = (WirePrecision)random.Next(2), Values = RandomBytes(random, random.Next(0, 3000)),
            };
            if (random.Next(2) == 0)
            {
                block.SentMap = RandomBytes(random, 8 * random.Next(1, 300));
            }
            AssertReceived(p => TensorMessageReaders.ReadExchangeRequest(p, null), new ExchangeRequest { Gradient = block }, random, m => m.Gradient.Values);
            var weights = new WeightBlock
            {
                Version = RandomUInt64(random), Offset = (uint)random.Next(), Precision = (WirePrecision)random.Next(2),
                Values = RandomBytes(random, random.Next(1, 3000)), DeltaMap = random.Next(2) == 0 ? ByteString.Empty : RandomBytes(random, 8 * random.Next(1, 300)),
            };
            AssertReceived(p => TensorMessageReaders.ReadExchangeReply(p, null), new ExchangeReply { Weights = weights }, random, m => m.Weights.Values);
        }
    }

    [Fact]
    public void Other_messages_go_to_protobuf()
    {
        var random = new Random(8);
        var task = new ShardTask { TaskId = 3, Version = 9, Kind = TaskKind.Gradient, ShardIndex = 1, SampleCount = 2, Pixels = ByteString.CopyFrom(1, 2, 3), Labels = ByteString.CopyFrom(4) };
        AssertSame(Coordinator, new CoordinatorMessage { Task = task }, random);
        AssertSame(Coordinator, new CoordinatorMessage { Heartbeat = new Heartbeat { SentUnixMs = 12 } }, random);
        AssertSame(Coordinator, new CoordinatorMessage(), random);
        AssertSame(Worker, new WorkerMessage { Join = new JoinRequest { WorkerName = "w", ProtocolVersion = 1 } }, random);
        AssertSame(Worker, new WorkerMessage { Leave = new Leave { Reason = "bye" } }, random);
    }

    [Fact]
    public void Unknown_and_repeated_fields_read_as_protobuf_reads_them()
    {
        var random = new Random(9);
        var weights = RandomWeights(random).ToByteArray();
        var other = RandomWeights(random).ToByteArray();
        // Field 15, varint 1: an unknown field protobuf keeps.
        AssertBytesSame<WeightsBroadcast>(p => TensorMessageReaders.ReadWeights(p, null), [.. weights, 0x78, 0x01]);
        // Two messages back to back merge, the later fields winning.
        AssertBytesSame<WeightsBroadcast>(p => TensorMessageReaders.ReadWeights(p, null), [.. weights, .. other]);
        var result = new WorkerMessage { Result = RandomResult(random) }.ToByteArray();
        AssertBytesSame(Worker, [.. result, .. result]);
        // The right field number with the wrong wire type (fixed32) is an unknown field to protobuf.
        AssertBytesSame<ShardResult>(p => TensorMessageReaders.ReadResult(p, null), [0x0D, 1, 2, 3, 4]);
    }

    [Fact]
    public void Malformed_input_fails_as_protobuf_fails()
    {
        var random = new Random(10);
        var whole = new CoordinatorMessage { Weights = RandomWeights(random, minimumLength: 64) }.ToByteArray();
        for (var length = 1; length < whole.Length; length += 7)
        {
            var cut = whole[..length];
            var expected = Record.Exception(() => CoordinatorMessage.Parser.ParseFrom(cut));
            var actual = Record.Exception(() => Coordinator(new ReadOnlySequence<byte>(cut)));
            Assert.Equal(expected?.GetType(), actual?.GetType());
        }
        // A varint of eleven bytes.
        Assert.Throws<InvalidProtocolBufferException>(() => TensorMessageReaders.ReadWeights(new ReadOnlySequence<byte>([0x08, .. Enumerable.Repeat((byte)0xFF, 10), 0x01]), null));
    }

    [Fact]
    public void A_tensor_is_kept_in_place_when_the_transport_allows_and_released_exactly_once()
    {
        var random = new Random(11);
        var message = new WorkerMessage { Result = new ShardResult { TaskId = 1, Gradient = RandomBytes(random, ReceivedTensor.MinimumRetainedBytes) } };
        var bytes = message.ToByteArray();
        var context = new TestDeserializationContext(new ReadOnlySequence<byte>(bytes), retain: true);
        var read = TrainerMethods.WorkerMessages.ContextualDeserializer(context);
        Assert.Equal(message, read);
        var tensor = ReceivedTensor.Of(read.Result.Gradient)!;
        Assert.True(tensor.IsRetained);
        Assert.Equal(1, context.Retained);
        ReceivedTensor.Release(read.Result.Gradient);
        ReceivedTensor.Release(read.Result.Gradient);
        Assert.Equal(1, context.Released);
        Assert.True(tensor.IsReleased);
        Assert.Throws<ObjectDisposedException>(() => read.Result.Gradient.Span[0]);

        // Small tensors, tensors across segments and transports that cannot keep a payload: one copy.
        var small = new WorkerMessage { Result = new ShardResult { Gradient = RandomBytes(random, ReceivedTensor.MinimumRetainedBytes - 1) } }.ToByteArray();
        foreach (var (payload, retain) in new[] { (new ReadOnlySequence<byte>(small), true), (Segments.Split(bytes, random, 3), true), (new ReadOnlySequence<byte>(bytes), false) })
        {
            var copyContext = new TestDeserializationContext(payload, retain);
            var copied = TrainerMethods.WorkerMessages.ContextualDeserializer(copyContext);
            var copy = ReceivedTensor.Of(copied.Result.Gradient)!;
            Assert.False(copy.IsRetained);
            Assert.Equal(payload.ToArray(), copied.ToByteArray());
            ReceivedTensor.Release(copied.Result.Gradient);
            Assert.True(copy.IsReleased);
        }
        // Bytes that are not a received tensor are left alone.
        ReceivedTensor.Release(ByteString.CopyFrom(1, 2, 3));
        Assert.Null(ReceivedTensor.Of(ByteString.Empty));
    }

    [Fact]
    public void The_writer_sends_what_protobuf_would_with_the_tensor_by_reference_where_taken()
    {
        var random = new Random(3);
        foreach (var length in new[] { 0, 100, TensorMessageWriter.MinimumTensorBytes, 100_000, 940_000 })
        {
            var gradient = RandomBytes(random, length);
            var result = new ShardResult { TaskId = 9, Version = ulong.MaxValue, ShardIndex = 1, SampleCount = 64, LossSum = -2.5, Correct = 3, Precision = WirePrecision.Bf16, Gradient = gradient, ComputeMicros = 77 };
            var worker = new WorkerMessage { Result = result };
            var coordinator = new CoordinatorMessage { Weights = new WeightsBroadcast { Version = 5, Precision = WirePrecision.Fp32, Parameters = gradient } };
            AssertWritten(TrainerMethods.WorkerMessages.ContextualSerializer, worker, WorkerMessage.Parser, length >= TensorMessageWriter.MinimumTensorBytes);
            AssertWritten(TrainerMethods.CoordinatorMessages.ContextualSerializer, coordinator, CoordinatorMessage.Parser, length >= TensorMessageWriter.MinimumTensorBytes);
        }
        var task = new CoordinatorMessage { Task = new ShardTask { Pixels = RandomBytes(random, 200_000) } };
        AssertWritten(TrainerMethods.CoordinatorMessages.ContextualSerializer, task, CoordinatorMessage.Parser, tensorByReference: false);
    }

    private static void AssertWritten<T>(Action<T, Grpc.Core.SerializationContext> serialize, T message, MessageParser<T> parser, bool tensorByReference)
        where T : IMessage<T>
    {
        var plain = new TestSerializationContext(takesTail: false);
        serialize(message, plain);
        Assert.True(plain.Completed);
        Assert.Equal(message.CalculateSize(), plain.DeclaredLength);
        Assert.Equal(message, parser.ParseFrom(plain.Payload));

        var gathering = new TestSerializationContext.WithTail();
        serialize(message, gathering);
        Assert.True(gathering.Inner.Completed);
        Assert.Equal(message.CalculateSize(), gathering.Inner.DeclaredLength);
        Assert.Equal(tensorByReference, !gathering.Inner.Tail.IsEmpty);
        Assert.Equal(plain.Payload, gathering.Inner.Payload);
        Assert.Equal(message, parser.ParseFrom(gathering.Inner.Payload));
    }

    private static CoordinatorMessage Coordinator(ReadOnlySequence<byte> payload) =>
        TrainerMethods.CoordinatorMessages.ContextualDeserializer(new TestDeserializationContext(payload));

    private static WorkerMessage Worker(ReadOnlySequence<byte> payload) =>
        TrainerMethods.WorkerMessages.ContextualDeserializer(new TestDeserializationContext(payload));

    private static WeightsBroadcast RandomWeights(Random random, int minimumLength = 0) => new()
    {
        Version = RandomUInt64(random),
        Precision = (WirePrecision)random.Next(3),
        Parameters = RandomBytes(random, minimumLength + (random.Next(4) == 0 ? 0 : random.Next(5000))),
    };

    private static ShardResult RandomResult(Random random) => new()
    {
        TaskId = RandomUInt64(random),
        Version = RandomUInt64(random),
        ShardIndex = (uint)random.Next(4) * (uint)random.Next(),
        SampleCount = (uint)random.Next(300),
        LossSum = random.Next(5) == 0 ? 0 : random.NextDouble() * 1000,
        Correct = (uint)random.Next(300),
        Precision = (WirePrecision)random.Next(3),
        Gradient = RandomBytes(random, random.Next(4) == 0 ? 0 : random.Next(5000)),
        ComputeMicros = RandomUInt64(random),
    };

    // Zero (not written at all), small, and up to the full 64 bits.
    private static ulong RandomUInt64(Random random) => random.Next(3) switch
    {
        0 => 0,
        1 => (ulong)random.Next(1000),
        _ => (ulong)random.NextInt64() * 2 + (ulong)random.Next(2),
    };

    private static ByteString RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private static void AssertReceived<T>(Func<ReadOnlySequence<byte>, T> read, T message, Random random, Func<T, ByteString> tensor)
        where T : IMessage<T>
    {
        var received = AssertSame(read, message, random);
        var bytes = tensor(received);
        var handle = ReceivedTensor.Of(bytes);
        Assert.Equal(!bytes.IsEmpty, handle is not null);
        ReceivedTensor.Release(bytes);
        Assert.True(handle is null || handle.IsReleased);
    }

    private static T AssertSame<T>(Func<ReadOnlySequence<byte>, T> read, T message, Random random)
        where T : IMessage<T>
    {
        var bytes = message.ToByteArray();
        var received = read(Segments.Split(bytes, random, random.Next(1, 5)));
        Assert.Equal(message, received);
        return received;
    }

    private static void AssertBytesSame<T>(Func<ReadOnlySequence<byte>, T> read, byte[] bytes)
        where T : IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        Assert.Equal(parser.ParseFrom(bytes), read(new ReadOnlySequence<byte>(bytes)));
    }
}
