using System.Text;
using DistTrain.Transport.Http2.Framing;

namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// An HPACK encoder for the tests that uses everything a peer may (the engine's own encoder
/// never indexes nor Huffman-codes): indexed fields from both tables, literals with incremental
/// indexing, without indexing and never indexed, Huffman or raw strings, size updates, with its
/// own model of the dynamic table (RFC 7541 2.3, 4) to stay in step with the decoder.
/// </summary>
internal sealed class HpackModelEncoder(int maxTableSize)
{
    private readonly int _maxTableSize = maxTableSize;
    private const int EntryOverhead = 32;
    private readonly List<HeaderField> _table = []; // newest first: HPACK index 62 is _table[0]
    private int _size;
    private int _capacity = maxTableSize;

    public byte[] Encode(IReadOnlyList<HeaderField> fields, Random random)
    {
        var output = new List<byte>();
        for (var updates = random.Next(8) == 0 ? random.Next(1, 3) : 0; updates > 0; updates--)
        {
            _capacity = random.Next(4) == 0 ? 0 : random.Next(_maxTableSize + 1);
            WriteInteger(output, 0x20, 5, _capacity);
            Evict(_capacity);
        }
        foreach (var field in fields)
        {
            var exact = IndexOf(f => f == field);
            if (exact > 0 && random.Next(4) != 0)
            {
                WriteInteger(output, 0x80, 7, exact);
                continue;
            }
            var nameIndex = random.Next(2) == 0 ? IndexOf(f => f.Name == field.Name) : 0;
            var kind = random.Next(3);
            var (pattern, prefixBits) = kind switch { 0 => (0x40, 6), 1 => (0x00, 4), _ => (0x10, 4) };
            WriteInteger(output, (byte)pattern, prefixBits, nameIndex);
            if (nameIndex == 0)
            {
                WriteString(output, field.Name, random);
            }
            WriteString(output, field.Value, random);
            if (kind == 0)
            {
                Add(field);
            }
        }
        return [.. output];
    }

    private int IndexOf(Func<HeaderField, bool> match)
    {
        var inStatic = Array.FindIndex(HpackStaticTable.Entries, f => match(f));
        if (inStatic >= 0)
        {
            return inStatic + 1;
        }
        var inDynamic = _table.FindIndex(f => match(f));
        return inDynamic >= 0 ? HpackStaticTable.Entries.Length + 1 + inDynamic : 0;
    }

    private void Add(HeaderField field)
    {
        var size = field.Name.Length + field.Value.Length + EntryOverhead;
        Evict(Math.Max(0, _capacity - size));
        if (size <= _capacity)
        {
            _table.Insert(0, field);
            _size += size;
        }
    }

    private void Evict(int target)
    {
        while (_size > target)
        {
            var oldest = _table[^1];
            _table.RemoveAt(_table.Count - 1);
            _size -= oldest.Name.Length + oldest.Value.Length + EntryOverhead;
        }
    }

    private static void WriteString(List<byte> output, string text, Random random)
    {
        var octets = Encoding.Latin1.GetBytes(text);
        var huffman = random.Next(2) == 0;
        var bytes = huffman ? HuffmanCoder.Encode(octets) : octets;
        WriteInteger(output, huffman ? (byte)0x80 : (byte)0, 7, bytes.Length);
        output.AddRange(bytes);
    }

    /// <summary>A prefixed integer (RFC 7541 5.1) whose first byte carries <paramref name="pattern"/> above the prefix.</summary>
    public static void WriteInteger(List<byte> output, byte pattern, int prefixBits, int value)
    {
        var prefixMax = (1 << prefixBits) - 1;
        if (value < prefixMax)
        {
            output.Add((byte)(pattern | value));
            return;
        }
        output.Add((byte)(pattern | prefixMax));
        value -= prefixMax;
        for (; value >= 0x80; value >>= 7)
        {
            output.Add((byte)(0x80 | (value & 0x7F)));
        }
        output.Add((byte)value);
    }
}
