using System.Buffers;
using System.Text;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// HPACK encoder (RFC 7541) that never inserts into the dynamic table, so it keeps no state and the
/// peer's decoder table stays empty. Indexed where the static table has the exact field, otherwise a
/// literal without indexing; strings are raw Latin-1 (no Huffman: gRPC headers are short, and this keeps
/// the encoder trivial).
/// </summary>
internal static class HpackEncoder
{
    // A prefix byte plus five 7-bit groups hold any int.
    private const int MaxIntegerLength = 6;

    /// <summary>Appends one field. <paramref name="name"/> must already be lowercase; it is not changed.</summary>
    public static void Write(IBufferWriter<byte> output, string name, string value)
    {
        var index = HpackStaticTable.Find(name, value, out var valueMatches);
        if (valueMatches)
        {
            // 1xxxxxxx: indexed field (6.1).
            output.Advance(WriteInteger(output.GetSpan(MaxIntegerLength), 0x80, 7, index));
            return;
        }

        // 0000xxxx: literal without indexing (6.2.2), with the static name's index, or 0 and the name.
        var span = output.GetSpan(MaxIntegerLength + (index == 0 ? MaxIntegerLength + name.Length : 0) + MaxIntegerLength + value.Length);
        var written = WriteInteger(span, 0x00, 4, index);
        if (index == 0)
        {
            written += WriteString(span[written..], name);
        }
        written += WriteString(span[written..], value);
        output.Advance(written);
    }

    /// <summary>A prefixed integer (5.1) whose first byte carries <paramref name="pattern"/> above the prefix.</summary>
    private static int WriteInteger(Span<byte> destination, byte pattern, int prefixBits, int value)
    {
        var prefixMax = (1 << prefixBits) - 1;
        if (value < prefixMax)
        {
            destination[0] = (byte)(pattern | value);
            return 1;
        }
        destination[0] = (byte)(pattern | prefixMax);
        value -= prefixMax;
        var written = 1;
        for (; value >= 0x80; value >>= 7)
        {
            destination[written++] = (byte)(0x80 | (value & 0x7f));
        }
        destination[written++] = (byte)value;
        return written;
    }

    /// <summary>A string literal (5.2) with the H bit clear. Latin-1 has one octet per character.</summary>
    private static int WriteString(Span<byte> destination, string text)
    {
        var written = WriteInteger(destination, 0x00, 7, text.Length);
        return written + Encoding.Latin1.GetBytes(text, destination[written..]);
    }
}
