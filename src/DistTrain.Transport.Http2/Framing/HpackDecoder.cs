using System.Buffers;
using System.Text;

namespace DistTrain.Transport.Http2.Framing;

/// <summary>
/// HPACK decoder (RFC 7541) for one direction of one connection: it owns that direction's dynamic table,
/// so blocks must be decoded in the order they arrive. Not thread-safe.
/// </summary>
internal sealed class HpackDecoder
{
    // RFC 7541 4.1: an entry counts its name and value octets plus 32 (the same rule sizes a header list).
    private const int EntryOverhead = 32;
    private const int HuffmanStackLimit = 256;

    private readonly int _maxDynamicTableSize;
    private readonly int _maxHeaderListSize;
    private readonly List<HeaderField> _dynamicTable = []; // oldest first: HPACK index 62 is the last entry
    private int _dynamicTableSize;
    private int _capacity;

    /// <param name="maxDynamicTableSize">Our SETTINGS_HEADER_TABLE_SIZE: the largest size update the peer may send.</param>
    /// <param name="maxHeaderListSize">
    /// Sum over fields of (name.Length + value.Length + 32) allowed per block; exceeding it throws <see cref="HpackException"/>.
    /// </param>
    public HpackDecoder(int maxDynamicTableSize = 4096, int maxHeaderListSize = 64 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDynamicTableSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderListSize);
        _maxDynamicTableSize = maxDynamicTableSize;
        _maxHeaderListSize = maxHeaderListSize;
        _capacity = maxDynamicTableSize;
    }

    /// <summary>
    /// Decodes one complete header block (HEADERS plus CONTINUATION payloads, concatenated, padding and
    /// priority stripped) and appends its fields in order to <paramref name="into"/>. Any malformed input
    /// throws <see cref="HpackException"/> (and nothing else); fields before the fault may have been appended.
    /// </summary>
    public void Decode(ReadOnlySpan<byte> block, List<HeaderField> into)
    {
        var position = 0;
        long listSize = 0;
        var sawField = false;
        while (position < block.Length)
        {
            var first = block[position];
            HeaderField field;
            if ((first & 0x80) != 0)
            {
                // 1xxxxxxx: indexed field (6.1).
                field = GetEntry(ReadInteger(block, ref position, 7));
            }
            else if ((first & 0x40) != 0)
            {
                // 01xxxxxx: literal with incremental indexing (6.2.1).
                field = ReadLiteral(block, ref position, 6);
                Add(field);
            }
            else if ((first & 0x20) != 0)
            {
                // 001xxxxx: dynamic table size update (6.3); only before the block's first field (4.2).
                if (sawField)
                {
                    throw new HpackException("Dynamic table size update after a header field.");
                }
                var size = ReadInteger(block, ref position, 5);
                if (size > _maxDynamicTableSize)
                {
                    throw new HpackException($"Dynamic table size update to {size} exceeds the limit of {_maxDynamicTableSize}.");
                }
                _capacity = size;
                EvictUntilSizeIsAtMost(size);
                continue;
            }
            else
            {
                // 0000xxxx without indexing (6.2.2), 0001xxxx never indexed (6.2.3): same for a decoder.
                field = ReadLiteral(block, ref position, 4);
            }

            sawField = true;
            listSize += field.Name.Length + field.Value.Length + EntryOverhead;
            if (listSize > _maxHeaderListSize)
            {
                throw new HpackException($"Header list exceeds the limit of {_maxHeaderListSize} bytes.");
            }
            into.Add(field);
        }
    }

    private HeaderField ReadLiteral(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        // A name index of 0 means the name follows as a string literal.
        var nameIndex = ReadInteger(block, ref position, prefixBits);
        var name = nameIndex == 0 ? ReadString(block, ref position) : GetEntry(nameIndex).Name;
        return new HeaderField(name, ReadString(block, ref position));
    }

    /// <summary>Index 1..61 is the static table, 62 onwards the dynamic table, newest first (2.3.3).</summary>
    private HeaderField GetEntry(int index)
    {
        var staticCount = HpackStaticTable.Entries.Length;
        if (index == 0)
        {
            throw new HpackException("Header table index 0.");
        }
        if (index <= staticCount)
        {
            return HpackStaticTable.Entries[index - 1];
        }
        var fromNewest = index - staticCount;
        if (fromNewest > _dynamicTable.Count)
        {
            throw new HpackException($"Header table index {index} is beyond the table.");
        }
        return _dynamicTable[^fromNewest];
    }

    private void Add(HeaderField field)
    {
        long size = EntrySize(field);
        // 4.4: an entry larger than the whole table empties it and is not added.
        EvictUntilSizeIsAtMost(size > _capacity ? 0 : _capacity - (int)size);
        if (size <= _capacity)
        {
            _dynamicTable.Add(field);
            _dynamicTableSize += (int)size;
        }
    }

    private void EvictUntilSizeIsAtMost(int target)
    {
        var evicted = 0;
        while (_dynamicTableSize > target)
        {
            _dynamicTableSize -= EntrySize(_dynamicTable[evicted]);
            evicted++;
        }
        _dynamicTable.RemoveRange(0, evicted);
    }

    // Latin-1 makes characters and octets the same count. Table entries are at most the capacity (an int).
    private static int EntrySize(HeaderField field) => field.Name.Length + field.Value.Length + EntryOverhead;

    /// <summary>A prefixed integer (5.1): the low prefixBits of the first byte, then 7-bit groups, low first.</summary>
    private static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        if (position >= block.Length)
        {
            throw Truncated();
        }
        var prefixMax = (1 << prefixBits) - 1;
        long value = block[position++] & prefixMax;
        if (value < prefixMax)
        {
            return (int)value;
        }
        // Five groups carry 35 bits, more than any int; a sixth group is an overflow even if it is zero.
        for (var shift = 0; shift <= 28; shift += 7)
        {
            if (position >= block.Length)
            {
                throw Truncated();
            }
            var b = block[position++];
            value += (long)(b & 0x7f) << shift;
            if (value > int.MaxValue)
            {
                break;
            }
            if ((b & 0x80) == 0)
            {
                return (int)value;
            }
        }
        throw new HpackException("Integer overflow in header block.");
    }

    /// <summary>A string literal (5.2): H bit and 7-bit-prefixed length, then raw or Huffman-coded octets.</summary>
    private static string ReadString(ReadOnlySpan<byte> block, ref int position)
    {
        if (position >= block.Length)
        {
            throw Truncated();
        }
        var huffman = (block[position] & 0x80) != 0;
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw Truncated();
        }
        var octets = block.Slice(position, length);
        position += length;
        if (!huffman)
        {
            return Encoding.Latin1.GetString(octets);
        }

        var maxLength = HpackHuffman.MaxDecodedLength(length);
        byte[]? rented = null;
        var buffer = maxLength <= HuffmanStackLimit
            ? stackalloc byte[HuffmanStackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(maxLength));
        try
        {
            return Encoding.Latin1.GetString(buffer[..HpackHuffman.Decode(octets, buffer)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static HpackException Truncated() => new("Truncated header block.");
}
