using System.Buffers;
using DistTrain.Fuzzing;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using Google.Protobuf;
using Xunit.Abstractions;
using DistTrain.Transport.Tests.Support;

namespace DistTrain.Training.Tests.Fuzzing;

/// <summary>
/// The tensor messages' hand-written readers against Google.Protobuf's parser on the same bytes,
/// random, hand-encoded (out of order, repeated, over-long varints, unknown fields) and mutated,
/// in one segment or several, with and without retention: both give equal messages or both fail
/// with InvalidProtocolBufferException.
/// </summary>
public sealed class TensorReaderFuzzTests(ITestOutputHelper output)
{
    private delegate IMessage Reader(ReadOnlySequence<byte> payload, TestDeserializationContext? retention);

    private static readonly (string Name, Reader Read, MessageParser Parser)[] Readers =
    [
        ("weights", (p, r) => TensorMessageReaders.ReadWeights(p, r), WeightsBroadcast.Parser),
        ("result", (p, r) => TensorMessageReaders.ReadResult(p, r), ShardResult.Parser),
        ("coordinator", (p, r) => TensorMessageReaders.ReadCoordinatorMessage(p, r), CoordinatorMessage.Parser),
        ("worker", (p, r) => TensorMessageReaders.ReadWorkerMessage(p, r), WorkerMessage.Parser),
    ];

    [Fact]
    public void Fuzz_tensor_readers_agree_with_protobuf() =>
        FuzzRunner.Run(new FuzzTarget("tensor-readers", 20_000, r => Mutator.ValidMutatedOrRandom(r, Valid, 512), Check), output.WriteLine);

    /// <summary>Input: a byte choosing reader, segmentation and retention, then the payload.</summary>
    internal static string Check(byte[] input)
    {
        if (input.Length == 0)
        {
            return "empty";
        }
        var (name, read, parser) = Readers[input[0] & 3];
        var payload = input[1..];
        var sequence = (input[0] & 4) == 0 ? new ReadOnlySequence<byte>(payload) : Segments.Split(payload, new Random(input.Length), 1 + (input[0] >> 4));
        var retention = (input[0] & 8) == 0 ? null : new TestDeserializationContext(sequence, retain: true);
        var theirs = Try(() => parser.ParseFrom(payload));
        var ours = Try(() => read(sequence, retention));
        try
        {
            if (theirs.Error is not null || ours.Error is not null)
            {
                Require.True("same failure", theirs.Error?.GetType() == ours.Error?.GetType(),
                    $"{name}: protobuf gave {Describe(theirs)}, the reader {Describe(ours)}");
                return $"{name}: both fail";
            }
            Require.True("same message", theirs.Message!.Equals(ours.Message), $"{name}: protobuf read {theirs.Message}, the reader {ours.Message}");
            return $"{name}: equal, {(Tensor(ours.Message) is { } t && ReceivedTensor.Of(t) is not null ? "read by the reader" : "read by protobuf")}";
        }
        finally
        {
            Release(ours.Message);
        }
    }

    private static (IMessage? Message, Exception? Error) Try(Func<IMessage> parse)
    {
        try
        {
            return (parse(), null);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException)
        {
            return (null, e);
        }
    }

    private static string Describe((IMessage? Message, Exception? Error) outcome) =>
        outcome.Error is { } e ? $"{e.GetType().Name} ({e.Message})" : $"{outcome.Message}";

    private static void Release(IMessage? message)
    {
        if (Tensor(message) is { } tensor)
        {
            ReceivedTensor.Release(tensor);
        }
    }

    private static ByteString? Tensor(IMessage? message) => message switch
    {
        WeightsBroadcast w => w.Parameters,
        ShardResult r => r.Gradient,
        CoordinatorMessage { Weights: { } w } => w.Parameters,
        WorkerMessage { Result: { } r } => r.Gradient,
        _ => null,
    };

    private static byte[] Valid(Random random)
    {
        var selector = (byte)random.Next(256);
        var inner = (selector & 1) == 0 ? Weights(random) : Result(random);
        byte[] payload = (selector & 3) switch
        {
            0 or 1 => inner,
            // The wrapper's field 2 holds weights (coordinator) or a result (worker); other kinds go to protobuf.
            _ => Wrapped(random, inner),
        };
        return [selector, .. payload];
    }

    private static byte[] Wrapped(Random random, byte[] inner)
    {
        var writer = new ProtoWriter(random);
        var field = random.Next(5) == 0 ? random.Next(1, 6) : 2;
        writer.Bytes(field, inner);
        if (random.Next(8) == 0)
        {
            writer.Bytes(2, inner);
        }
        return writer.ToArray();
    }

    private static byte[] Weights(Random random)
    {
        var writer = new ProtoWriter(random);
        Fields(random, 3, field =>
        {
            switch (field)
            {
                case 1: writer.Varint(1, Number(random)); break;
                case 2: writer.Varint(2, (ulong)random.Next(-2, 4)); break;
                default: writer.Bytes(3, Tensor(random)); break;
            }
        }, writer);
        return writer.ToArray();
    }

    private static byte[] Result(Random random)
    {
        var writer = new ProtoWriter(random);
        // Fields 10-15 come from workers with parameter shards (11 is a string); 16 is not a field.
        Fields(random, random.Next(3) == 0 ? 16 : 9, field =>
        {
            switch (field)
            {
                case 5: writer.Fixed64(5, BitConverter.DoubleToUInt64Bits(random.NextDouble() * 100)); break;
                case 8: writer.Bytes(8, Tensor(random)); break;
                case 11: writer.Bytes(11, "owner refused"u8.ToArray()); break;
                case 16: writer.Bytes(16, Tensor(random)); break;
                default: writer.Varint(field, Number(random)); break;
            }
        }, writer);
        return writer.ToArray();
    }

    /// <summary>Each field 1..<paramref name="count"/> once in order mostly; sometimes shuffled, skipped, repeated or joined by an odd one.</summary>
    private static void Fields(Random random, int count, Action<int> write, ProtoWriter writer)
    {
        var fields = Enumerable.Range(1, count).Where(_ => random.Next(6) != 0).ToList();
        if (random.Next(6) == 0)
        {
            fields = [.. fields.OrderBy(_ => random.Next())];
        }
        if (random.Next(8) == 0 && fields.Count > 0)
        {
            fields.Insert(random.Next(fields.Count + 1), fields[random.Next(fields.Count)]);
        }
        foreach (var field in fields)
        {
            write(field);
        }
        switch (random.Next(12))
        {
            case 0: writer.Varint(random.Next(10, 40), Number(random)); break; // unknown field
            case 1: writer.Fixed32(random.Next(1, count + 1), (uint)random.Next()); break; // known field, other wire type
        }
    }

    private static ulong Number(Random random) => random.Next(5) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => (ulong)random.NextInt64(),
        3 => uint.MaxValue + (ulong)random.Next(3),
        _ => (ulong)random.Next(1000),
    };

    private static byte[] Tensor(Random random)
    {
        // Now and then past ReceivedTensor.MinimumRetainedBytes, so retention is taken.
        var bytes = new byte[random.Next(20) == 0 ? random.Next(64 * 1024, 80 * 1024) : random.Next(64)];
        random.NextBytes(bytes);
        return bytes;
    }
}
