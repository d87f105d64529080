using System.Buffers;
using System.Buffers.Binary;
using DistTrain.Fuzzing;
using DistTrain.Transport.Http2.Framing;
using Xunit.Abstractions;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// The HPACK decoder (RFC 7541) on hostile input: every byte string decodes or throws
/// HpackException, within the header list limit and with allocation bounded by the input;
/// and whatever a full encoder (or the engine's own) writes decodes to the same header lists.
/// </summary>
public sealed class HpackFuzzTests(ITestOutputHelper output)
{
    private static readonly int[] TableSizes = [0, 64, 256, 4096];
    private static readonly int[] ListLimits = [0, 100, 4096, 64 * 1024];

    [Fact]
    public void Fuzz_hpack_any_block_sequence_decodes_or_throws_HpackException() =>
        FuzzRunner.Run(new FuzzTarget("hpack-decode", 20_000, r => Mutator.ValidMutatedOrRandom(r, ValidBlocks), DecodeBlocks), output.WriteLine);

    [Fact]
    public void Fuzz_hpack_full_encoder_round_trips_through_the_decoder() =>
        FuzzRunner.Run(new FuzzTarget("hpack-roundtrip", 5000, SeedInput, input =>
        {
            var random = new Random(BinaryPrimitives.ReadInt32LittleEndian(input));
            var tableSize = TableSizes[random.Next(TableSizes.Length)];
            var encoder = new HpackModelEncoder(tableSize);
            var decoder = new HpackDecoder(tableSize, int.MaxValue);
            for (var block = random.Next(1, 6); block > 0; block--)
            {
                var fields = HeaderGenerator.List(random);
                var decoded = new List<HeaderField>();
                decoder.Decode(encoder.Encode(fields, random), decoded);
                Require.Equal("hpack round trip", fields, decoded);
            }
            return "round-tripped";
        }), output.WriteLine);

    [Fact]
    public void Fuzz_hpack_engine_encoder_round_trips_through_the_decoder() =>
        FuzzRunner.Run(new FuzzTarget("hpack-engine-encoder", 5000, SeedInput, input =>
        {
            var random = new Random(BinaryPrimitives.ReadInt32LittleEndian(input));
            var fields = HeaderGenerator.List(random);
            var block = new ArrayBufferWriter<byte>();
            foreach (var field in fields)
            {
                HpackEncoder.Write(block, field.Name, field.Value);
            }
            var decoded = new List<HeaderField>();
            new HpackDecoder().Decode(block.WrittenSpan, decoded);
            Require.Equal("engine encoder round trip", fields, decoded);
            return "round-tripped";
        }), output.WriteLine);

    /// <summary>
    /// Input: a configuration byte (table size, header list limit), then blocks, each behind a
    /// 2-byte length (the last one takes what is left), decoded in order on one decoder.
    /// </summary>
    internal static string DecodeBlocks(byte[] input)
    {
        if (input.Length == 0)
        {
            return "empty";
        }
        var tableSize = TableSizes[input[0] & 3];
        var listLimit = ListLimits[(input[0] >> 2) & 3];
        var decoder = new HpackDecoder(tableSize, listLimit);
        var rest = input.AsSpan(1);
        while (!rest.IsEmpty)
        {
            var length = rest.Length >= 2 ? Math.Min(BinaryPrimitives.ReadUInt16BigEndian(rest), rest.Length - 2) : rest.Length;
            var block = rest.Length >= 2 ? rest.Slice(2, length) : rest;
            rest = rest[Math.Min(rest.Length, length + 2)..];
            var fields = new List<HeaderField>();
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                decoder.Decode(block, fields);
            }
            catch (HpackException)
            {
                return "HpackException";
            }
            finally
            {
                // Strings are at most 2 bytes a char and 8/5 chars an octet (Huffman); the field list
                // is bounded by the header list limit (32 bytes a field at least).
                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                var bound = (16L * block.Length) + (4L * 16 * (listLimit / 32)) + (16 * 1024);
                Require.True("allocation bound", allocated <= bound, $"decoding {block.Length} bytes allocated {allocated} bytes (bound {bound})");
            }
            var listSize = fields.Sum(f => (long)f.Name.Length + f.Value.Length + 32);
            Require.True("header list limit", listSize <= listLimit, $"decoded a header list of {listSize} bytes past the limit {listLimit}");
        }
        return "decoded";
    }

    internal static byte[] ValidBlocks(Random random)
    {
        var config = (byte)random.Next(16);
        var encoder = new HpackModelEncoder(TableSizes[config & 3]);
        var output = new List<byte> { config };
        for (var block = random.Next(1, 4); block > 0; block--)
        {
            var bytes = encoder.Encode(HeaderGenerator.List(random), random);
            output.Add((byte)(bytes.Length >> 8));
            output.Add((byte)bytes.Length);
            output.AddRange(bytes);
        }
        return [.. output];
    }

    internal static byte[] SeedInput(Random random)
    {
        var seed = new byte[4];
        random.NextBytes(seed);
        return seed;
    }
}
