using System.Buffers;

namespace DistTrain.Training.Protocol;

/// <summary>
/// The few protobuf wire primitives the tensor readers need. Every method returns false on
/// anything malformed; the caller then leaves the message to protobuf's parser, which reports it.
/// </summary>
internal ref struct ProtoReader(ReadOnlySequence<byte> payload)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;

    private SequenceReader<byte> _reader = new(payload);

    public readonly bool End => _reader.End;

    public bool TryReadTag(out int field, out int wireType)
    {
        field = wireType = 0;
        if (!TryReadVarint(out var tag) || tag > uint.MaxValue || (tag >> 3) == 0)
        {
            return false;
        }
        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return true;
    }

    public bool TryReadVarint(out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (!_reader.TryRead(out var b))
            {
                return false;
            }
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }
        return false; // more than ten bytes
    }

    public bool TryReadFixed64(out ulong value)
    {
        var read = _reader.TryReadLittleEndian(out long raw);
        value = (ulong)raw;
        return read;
    }

    public bool TryReadLengthDelimited(out ReadOnlySequence<byte> value)
    {
        value = default;
        if (!TryReadVarint(out var length) || length > (ulong)_reader.Remaining)
        {
            return false;
        }
        value = _reader.UnreadSequence.Slice(0, (long)length);
        _reader.Advance((long)length);
        return true;
    }
}
