using System.Buffers;
using System.Runtime.InteropServices;
using DistTrain.Rpc.Tensors;
using DistTrain.Rpc.Tests.Support;
using DistTrain.Rpc.V1;
using Google.Protobuf;

namespace DistTrain.Rpc.Tests;

/// <summary>
/// The hand-written readers for the tensor messages against protobuf's parser: the same message
/// for everything protobuf writes, the same result or error for everything else, and the tensor
/// bytes in a pooled array that goes back to the pool.
/// </summary>
public sealed class TensorMessageReaderTests
{
    [Fact]
    public void Weights_and_results_read_as_protobuf_reads_them_in_pooled_buffers()
    {
        var random = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var weights = RandomWeights(random);
            var result = RandomResult(random);
            AssertPooledSame(TensorMessageReaders.Weights, weights, random, m => m.Parameters);
            AssertPooledSame(TensorMessageReaders.Result, result, random, m => m.Gradient);
            AssertPooledSame(TensorMessageReaders.Coordinator, new CoordinatorMessage { Weights = weights }, random, m => m.Weights.Parameters);
            AssertPooledSame(TensorMessageReaders.Worker, new WorkerMessage { Result = result }, random, m => m.Result.Gradient);
        }
    }

    [Fact]
    public void Other_messages_go_to_protobuf()
    {
        var random = new Random(8);
        var task = new ShardTask { TaskId = 3, Version = 9, Kind = TaskKind.Gradient, ShardIndex = 1, SampleCount = 2, Pixels = ByteString.CopyFrom(1, 2, 3), Labels = ByteString.CopyFrom(4) };
        AssertSame(TensorMessageReaders.Coordinator, new CoordinatorMessage { Task = task }, random);
        AssertSame(TensorMessageReaders.Coordinator, new CoordinatorMessage { Heartbeat = new Heartbeat { SentUnixMs = 12 } }, random);
        AssertSame(TensorMessageReaders.Coordinator, new CoordinatorMessage(), random);
        AssertSame(TensorMessageReaders.Worker, new WorkerMessage { Join = new JoinRequest { WorkerName = "w", ProtocolVersion = 1 } }, random);
        AssertSame(TensorMessageReaders.Worker, new WorkerMessage { Leave = new Leave { Reason = "bye" } }, random);
    }

    [Fact]
    public void Unknown_and_repeated_fields_read_as_protobuf_reads_them()
    {
        var random = new Random(9);
        var weights = RandomWeights(random).ToByteArray();
        var other = RandomWeights(random).ToByteArray();
        // Field 15, varint 1: an unknown field protobuf keeps.
        AssertBytesSame(TensorMessageReaders.Weights, [.. weights, 0x78, 0x01]);
        // Two messages back to back merge, the later fields winning.
        AssertBytesSame(TensorMessageReaders.Weights, [.. weights, .. other]);
        var result = new WorkerMessage { Result = RandomResult(random) }.ToByteArray();
        AssertBytesSame(TensorMessageReaders.Worker, [.. result, .. result]);
        // The right field number with the wrong wire type (fixed32) is an unknown field to protobuf.
        AssertBytesSame(TensorMessageReaders.Result, [0x0D, 1, 2, 3, 4]);
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
            var actual = Record.Exception(() => TensorMessageReaders.Coordinator.Parse(new ReadOnlySequence<byte>(cut)));
            Assert.Equal(expected?.GetType(), actual?.GetType());
        }
        // A varint of eleven bytes.
        Assert.Throws<InvalidProtocolBufferException>(() => TensorMessageReaders.Weights.Parse(new ReadOnlySequence<byte>([0x08, .. Enumerable.Repeat((byte)0xFF, 10), 0x01])));
    }

    [Fact]
    public void Only_pooled_arrays_go_back_to_the_pool()
    {
        // Protobuf's own array is exactly its length (here a pool size too): it must not go to the pool.
        var parsed = WeightsBroadcast.Parser.ParseFrom(new WeightsBroadcast { Parameters = ByteString.CopyFrom(new byte[1024]) }.ToByteArray());
        Assert.True(MemoryMarshal.TryGetArray(parsed.Parameters.Memory, out var own));
        TensorBuffers.Return(parsed.Parameters);
        TensorBuffers.Return(ByteString.Empty);
        Assert.NotSame(own.Array, ArrayPool<byte>.Shared.Rent(1024));

        var pooled = TensorMessageReaders.Weights.Parse(new ReadOnlySequence<byte>(new WeightsBroadcast { Parameters = ByteString.CopyFrom(new byte[1024]) }.ToByteArray()));
        Assert.True(MemoryMarshal.TryGetArray(pooled.Parameters.Memory, out var segment));
        TensorBuffers.Return(pooled.Parameters);
        // The pool hands the same array out again on this thread.
        Assert.Same(segment.Array, ArrayPool<byte>.Shared.Rent(1025));
    }

    private static WeightsBroadcast RandomWeights(Random random, int minimumLength = 0) => new()
    {
        Version = RandomUInt64(random),
        Precision = (WirePrecision)random.Next(3),
        Parameters = RandomBytes(random, minimumLength),
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
        Gradient = RandomBytes(random, 0),
        ComputeMicros = RandomUInt64(random),
    };

    // Zero (not written at all), small, and up to the full 64 bits.
    private static ulong RandomUInt64(Random random) => random.Next(3) switch
    {
        0 => 0,
        1 => (ulong)random.Next(1000),
        _ => (ulong)random.NextInt64() * 2 + (ulong)random.Next(2),
    };

    private static ByteString RandomBytes(Random random, int minimumLength)
    {
        var bytes = new byte[random.Next(4) == 0 ? minimumLength : minimumLength + random.Next(5000)];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private static void AssertPooledSame<T>(MessageReader<T> reader, T message, Random random, Func<T, ByteString> tensor)
        where T : IMessage<T>
    {
        var read = AssertSame(reader, message, random);
        var bytes = tensor(read);
        if (!bytes.IsEmpty)
        {
            Assert.True(MemoryMarshal.TryGetArray(bytes.Memory, out var segment) && segment.Array!.Length >= bytes.Length && ArrayIsPooledSize(segment.Array));
        }
        TensorBuffers.Return(bytes);
    }

    private static bool ArrayIsPooledSize(byte[] array) => array.Length >= 16 && (array.Length & (array.Length - 1)) == 0;

    private static T AssertSame<T>(MessageReader<T> reader, T message, Random random)
        where T : IMessage<T>
    {
        var bytes = message.ToByteArray();
        var read = reader.Parse(Segments.Split(bytes, random, random.Next(1, 5)));
        Assert.Equal(message, read);
        return read;
    }

    private static void AssertBytesSame<T>(MessageReader<T> reader, byte[] bytes)
        where T : IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        Assert.Equal(parser.ParseFrom(bytes), reader.Parse(new ReadOnlySequence<byte>(bytes)));
    }
}
