namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// Decoding of the HPACK Huffman code (RFC 7541 Appendix B). The code is canonical: codes are assigned
/// in order of (length, symbol), so the code lengths alone define it and the decoder is the classic
/// canonical one (as in zlib's puff.c), one bit at a time.
/// </summary>
internal static class HpackHuffman
{
    private const int Eos = 256;
    private const int MaxCodeLength = 30;

    /// <summary>Code length in bits of each symbol 0..255 and EOS (256), RFC 7541 Appendix B.</summary>
    private static readonly byte[] CodeLengths =
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0-15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16-31
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // 32-47
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // 48-63
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // 64-79
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 80-95
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // 96-111
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 112-127
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128-143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144-159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160-175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176-191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192-207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208-223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224-239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240-255
        30, // 256 = EOS
    ];

    // Canonical layout: for each length, how many codes it has and its first code; Symbols is every
    // symbol ordered by (length, symbol), FirstSymbol[len] the position of that length's first one.
    private static readonly int[] Count = new int[MaxCodeLength + 1];
    private static readonly int[] FirstCode = new int[MaxCodeLength + 1];
    private static readonly int[] FirstSymbol = new int[MaxCodeLength + 1];
    private static readonly int[] Symbols = new int[CodeLengths.Length];

    static HpackHuffman()
    {
        foreach (var length in CodeLengths)
        {
            Count[length]++;
        }
        int code = 0, position = 0;
        for (var length = 1; length <= MaxCodeLength; length++)
        {
            code = (code + Count[length - 1]) << 1;
            FirstCode[length] = code;
            FirstSymbol[length] = position;
            position += Count[length];
        }
        var next = (int[])FirstSymbol.Clone();
        for (var symbol = 0; symbol < CodeLengths.Length; symbol++)
        {
            Symbols[next[CodeLengths[symbol]]++] = symbol;
        }
    }

    /// <summary>The code of <paramref name="symbol"/> (0..256), right-aligned, and its length; used by the tests.</summary>
    public static (uint Code, int Length) Code(int symbol)
    {
        var length = CodeLengths[symbol];
        var rank = Array.IndexOf(Symbols, symbol, FirstSymbol[length], Count[length]) - FirstSymbol[length];
        return ((uint)(FirstCode[length] + rank), length);
    }

    /// <summary>An upper bound on the decoded length: the shortest code has 5 bits.</summary>
    public static int MaxDecodedLength(int encodedLength) => encodedLength * 8 / 5;

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/> (at least
    /// <see cref="MaxDecodedLength"/> long) and returns the decoded length. Throws
    /// <see cref="HpackException"/> for an EOS symbol or padding that is longer than 7 bits or not all ones
    /// (RFC 7541 5.2).
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int written = 0, code = 0, length = 0;
        foreach (var b in source)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                code = (code << 1) | ((b >> bit) & 1);
                length++;
                // The code is complete (Kraft sum 1), so some symbol always ends by 30 bits.
                var rank = code - FirstCode[length];
                if (rank < Count[length])
                {
                    var symbol = Symbols[FirstSymbol[length] + rank];
                    if (symbol == Eos)
                    {
                        throw new HpackException("Huffman-coded string contains EOS.");
                    }
                    destination[written++] = (byte)symbol;
                    code = 0;
                    length = 0;
                }
            }
        }
        // What is left must be a strict prefix of EOS (all ones) shorter than a byte.
        if (length > 7 || code != (1 << length) - 1)
        {
            throw new HpackException("Invalid Huffman padding.");
        }
        return written;
    }
}
