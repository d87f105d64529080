using DistTrain.Transport.Http2.Framing;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// A Huffman encoder for the tests, built from the decoder's own code table (whose codes
/// HpackTests checks against RFC 7541 Appendix B): the engine only decodes Huffman strings.
/// </summary>
internal static class HuffmanCoder
{
    private static readonly (uint Code, int Length)[] Codes = [.. Enumerable.Range(0, 257).Select(HpackHuffman.Code)];

    /// <summary>The octets coded and padded with the most significant bits of EOS (ones), as RFC 7541 5.2 asks.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> octets)
    {
        var output = new List<byte>(octets.Length);
        ulong pending = 0;
        var bits = 0;
        foreach (var octet in octets)
        {
            var (code, length) = Codes[octet];
            pending = (pending << length) | code;
            bits += length;
            while (bits >= 8)
            {
                bits -= 8;
                output.Add((byte)(pending >> bits));
            }
        }
        if (bits > 0)
        {
            output.Add((byte)((pending << (8 - bits)) | (0xFFu >> bits)));
        }
        return [.. output];
    }
}
