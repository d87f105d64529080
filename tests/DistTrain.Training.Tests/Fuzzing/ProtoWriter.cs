using System.Buffers.Binary;

namespace DistTrain.Training.Tests.Fuzzing;

/// <summary>
/// Protobuf wire format by hand, so the fuzz inputs include what protobuf's own writer never
/// produces but its parser accepts: fields out of order or repeated, over-long varints, unknown
/// fields, a known field with another wire type.
/// </summary>
internal sealed class ProtoWriter(Random random)
{
    private readonly List<byte> _bytes = [];

    public byte[] ToArray() => [.. _bytes];

    public void Varint(int field, ulong value)
    {
        Tag(field, 0);
        Raw(value);
    }

    public void Fixed64(int field, ulong value)
    {
        Tag(field, 1);
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        _bytes.AddRange(bytes);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Raw((ulong)value.Length);
        _bytes.AddRange(value);
    }

    public void Fixed32(int field, uint value)
    {
        Tag(field, 5);
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        _bytes.AddRange(bytes);
    }

    private void Tag(int field, int wireType) => Raw(((ulong)field << 3) | (uint)wireType);

    /// <summary>A varint, one time in eight with redundant 0x80 groups (legal while it stays within ten bytes).</summary>
    private void Raw(ulong value)
    {
        var groups = new List<byte>();
        do
        {
            groups.Add((byte)(value & 0x7F));
            value >>= 7;
        }
        while (value != 0);
        for (var extra = random.Next(8) == 0 ? random.Next(1, 4) : 0; extra > 0 && groups.Count < 10; extra--)
        {
            groups.Add(0);
        }
        for (var i = 0; i < groups.Count - 1; i++)
        {
            groups[i] |= 0x80;
        }
        _bytes.AddRange(groups);
    }
}
