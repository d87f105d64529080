using DistTrain.Fuzzing;
using DistTrain.Transport.Http2.Framing;
using Xunit.Abstractions;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// HPACK's Huffman decoder on any bytes: it decodes or throws HpackException (never writes past
/// <see cref="HpackHuffman.MaxDecodedLength"/>), and what it accepts is exactly the one valid
/// encoding of its output; any octet string round-trips.
/// </summary>
public sealed class HuffmanFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Fuzz_huffman_decodes_only_canonical_encodings_or_throws_HpackException() =>
        FuzzRunner.Run(new FuzzTarget("huffman-decode", 20_000, r => Mutator.ValidMutatedOrRandom(r, Encoded, 512), Decode), output.WriteLine);

    [Fact]
    public void Fuzz_huffman_round_trips_any_octets() =>
        FuzzRunner.Run(new FuzzTarget("huffman-roundtrip", 20_000, r => Mutator.RandomBytes(r, 512), octets =>
        {
            var encoded = HuffmanCoder.Encode(octets);
            var decoded = new byte[HpackHuffman.MaxDecodedLength(encoded.Length)];
            var length = HpackHuffman.Decode(encoded, decoded);
            Require.True("huffman round trip", decoded.AsSpan(0, length).SequenceEqual(octets),
                $"{Convert.ToHexString(octets)} came back as {Convert.ToHexString(decoded, 0, length)}");
            return "round-tripped";
        }), output.WriteLine);

    internal static string Decode(byte[] input)
    {
        // Exactly the documented bound, so a decoder writing past it throws here.
        var decoded = new byte[HpackHuffman.MaxDecodedLength(input.Length)];
        int length;
        try
        {
            length = HpackHuffman.Decode(input, decoded);
        }
        catch (HpackException)
        {
            return "HpackException";
        }
        // The code is prefix-free and the padding (under a byte of ones) is fixed, so an accepted input is the encoding of its output.
        var again = HuffmanCoder.Encode(decoded.AsSpan(0, length));
        Require.True("huffman canonical", again.AsSpan().SequenceEqual(input), $"accepted {Convert.ToHexString(input)}, which encodes as {Convert.ToHexString(again)}");
        return "decoded";
    }

    private static byte[] Encoded(Random random) => HuffmanCoder.Encode(Mutator.RandomBytes(random, 256));
}
