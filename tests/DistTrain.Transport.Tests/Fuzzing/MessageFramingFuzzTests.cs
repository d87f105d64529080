using System.Buffers.Binary;
using DistTrain.Fuzzing;
using DistTrain.Transport.Http2.Calls;
using DistTrain.Transport.Http2.Framing;
using Grpc.Core;
using Xunit.Abstractions;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// gRPC's length-prefixed messages as the engine reads them from a stream body that arrives in
/// DATA payloads split anywhere: every split gives the messages and the final status a plain
/// reading of the bytes gives (INTERNAL for a bad flag or a cut message, RESOURCE_EXHAUSTED for a
/// length over the limit), never another exception, and a lying length allocates nothing.
/// </summary>
[Collection(nameof(FuzzIsolation))]
public sealed class MessageFramingFuzzTests(ITestOutputHelper output)
{
    private static readonly int[] MaxSizes = [0, 1, 16, 1024, 4 << 20, int.MaxValue];
    private static readonly Http2Limits Limits = Http2Limits.ForServer(4 << 20, new ServerLimits());

    [Fact]
    public void Fuzz_grpc_framing_reads_the_same_messages_however_the_body_is_split() =>
        FuzzRunner.Run(new FuzzTarget("grpc-framing", 3000, r => Mutator.ValidMutatedOrRandom(r, ValidInput, 1024), Check), output.WriteLine);

    /// <summary>Input: a byte choosing the size limit, then the body.</summary>
    internal static string Check(byte[] input)
    {
        if (input.Length == 0)
        {
            return "empty";
        }
        var maxSize = MaxSizes[input[0] % MaxSizes.Length];
        var body = input[1..];
        var expected = Reference(body, maxSize);
        var random = new Random(BinaryPrimitives.ReadInt32LittleEndian(System.Security.Cryptography.SHA256.HashData(input)));
        List<int[]> plans = [[body.Length], RandomSplit(random, body.Length), RandomSplit(random, body.Length)];
        if (body.Length is > 0 and <= 64)
        {
            plans.Add([.. Enumerable.Repeat(1, body.Length)]);
        }
        foreach (var plan in plans)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var actual = ReadAsync(body, plan, maxSize).GetAwaiter().GetResult();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Require.Equal("framing", expected, actual);
            Require.True("framing allocation", allocated <= (16L * body.Length) + (1 << 20), $"reading {body.Length} bytes allocated {allocated}");
        }
        return expected[^1];
    }

    /// <summary>The messages (hex) and how the body ended, read the obvious way.</summary>
    private static List<string> Reference(byte[] body, int maxSize)
    {
        var result = new List<string>();
        var rest = body.AsSpan();
        while (true)
        {
            if (rest.IsEmpty)
            {
                result.Add("end");
                return result;
            }
            if (rest.Length < 5)
            {
                result.Add(nameof(StatusCode.Internal));
                return result;
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
            if (rest[0] != 0 || length > (uint)maxSize || rest.Length - 5 < length)
            {
                result.Add(rest[0] == 0 && length > (uint)maxSize ? nameof(StatusCode.ResourceExhausted) : nameof(StatusCode.Internal));
                return result;
            }
            result.Add(Convert.ToHexString(rest.Slice(5, (int)length)));
            rest = rest[(5 + (int)length)..];
        }
    }

    /// <summary>The body as DATA payloads of the planned sizes into a stream, read with the engine's message reader as they arrive.</summary>
    private static async Task<List<string>> ReadAsync(byte[] body, int[] plan, int maxSize)
    {
        var connection = new Http2Connection(new FrameTransport(new ScriptedPeer([], () => 1)), isServer: true, Limits, "fuzz", logger: null);
        var stream = new Http2Stream(connection, 1, 65535, int.MaxValue);
        var input = new FrameInput(new ScriptedPeer(body, () => int.MaxValue));
        var result = new List<string>();
        var reader = Task.Run(async () =>
        {
            try
            {
                while (await MessageReader.ReadAsync(stream, c => c.PayloadAsNewBuffer(), maxSize, "request", CancellationToken.None) is (true, var message))
                {
                    result.Add(Convert.ToHexString(message!));
                }
                result.Add("end");
            }
            catch (RpcException e)
            {
                result.Add(e.StatusCode.ToString());
            }
        });
        for (var i = 0; i < plan.Length; i++)
        {
            await stream.ReceiveDataAsync(input, plan[i], plan[i], endStream: i == plan.Length - 1);
            await Task.Yield();
        }
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
        return result;
    }

    private static int[] RandomSplit(Random random, int length)
    {
        if (length == 0)
        {
            return [0];
        }
        var cuts = Enumerable.Range(0, random.Next(1, 12)).Select(_ => random.Next(length + 1)).Append(0).Append(length).Distinct().Order().ToArray();
        return [.. cuts.Zip(cuts.Skip(1), (a, b) => b - a)];
    }

    private static byte[] ValidInput(Random random)
    {
        var body = new List<byte> { (byte)random.Next(256) };
        for (var count = random.Next(5); count > 0; count--)
        {
            var payload = new byte[random.Next(10) == 0 ? random.Next(20_000) : random.Next(300)];
            random.NextBytes(payload);
            var header = new byte[5];
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)payload.Length);
            body.AddRange(header);
            body.AddRange(payload);
        }
        return [.. body];
    }
}
