using System.Buffers.Binary;

namespace DistTrain.Fuzzing;

/// <summary>
/// Byte-level mutations of valid encodings, the kind that find parser bugs: bit flips, bytes
/// set to boundary values, truncation, deletion, duplication, insertion of random bytes,
/// splicing with another input, and 1- to 4-byte big-endian fields (lengths, ids, prefixes)
/// overwritten with extremes.
/// </summary>
internal static class Mutator
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x0F, 0x10, 0x1F, 0x3F, 0x40, 0x7E, 0x7F, 0x80, 0x81, 0xFE, 0xFF];

    private static readonly uint[] InterestingValues =
    [
        0, 1, 2, 5, 8, 9, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x4000, 0x4001, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000,
        0x7F_FFFF, 0xFF_FFFE, 0xFF_FFFF, 0x100_0000, 0x7FFF_FFFE, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF,
    ];

    /// <summary>One to <paramref name="maxRounds"/> mutations of <paramref name="input"/>; <paramref name="other"/> is spliced in.</summary>
    public static byte[] Mutate(Random random, byte[] input, byte[]? other = null, int maxRounds = 4)
    {
        var bytes = new List<byte>(input);
        var rounds = random.Next(1, maxRounds + 1);
        for (var round = 0; round < rounds; round++)
        {
            MutateOnce(random, bytes, other);
        }
        return [.. bytes];
    }

    private static void MutateOnce(Random random, List<byte> bytes, byte[]? other)
    {
        var at = random.Next(bytes.Count + 1);
        var length = Math.Min(bytes.Count - at, 1 + random.Next(random.Next(2) == 0 ? 4 : 64));
        switch (random.Next(10))
        {
            case 0 when bytes.Count > 0:
                at = random.Next(bytes.Count);
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when bytes.Count > 0:
                bytes[random.Next(bytes.Count)] = InterestingBytes[random.Next(InterestingBytes.Length)];
                break;
            case 2:
                bytes.RemoveRange(at, bytes.Count - at); // truncation
                break;
            case 3:
                bytes.RemoveRange(at, length);
                break;
            case 4 when length > 0:
                bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(at, length));
                break;
            case 5:
                var noise = new byte[1 + random.Next(16)];
                random.NextBytes(noise);
                bytes.InsertRange(at, noise);
                break;
            case 6 when other is { Length: > 0 }:
                var from = random.Next(other.Length);
                var piece = other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(256))).ToArray();
                if (random.Next(2) == 0)
                {
                    bytes.RemoveRange(at, bytes.Count - at);
                }
                bytes.InsertRange(Math.Min(at, bytes.Count), piece);
                break;
            default:
                OverwriteField(random, bytes);
                break;
        }
    }

    /// <summary>A big-endian field of 1 to 4 bytes set to an extreme, plus or minus a little.</summary>
    private static void OverwriteField(Random random, List<byte> bytes)
    {
        var width = random.Next(1, 5);
        if (bytes.Count < width)
        {
            return;
        }
        var value = InterestingValues[random.Next(InterestingValues.Length)] + (uint)(random.Next(3) - 1);
        Span<byte> field = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(field, value);
        var at = random.Next(bytes.Count - width + 1);
        for (var i = 0; i < width; i++)
        {
            bytes[at + i] = field[4 - width + i];
        }
    }

    /// <summary>Random bytes, mostly short, sometimes long.</summary>
    public static byte[] RandomBytes(Random random, int maxLength = 4096)
    {
        var bytes = new byte[random.Next(3) == 0 ? random.Next(maxLength + 1) : random.Next(Math.Min(64, maxLength) + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Mostly mutations of a valid input, some valid inputs as they are, some pure noise.</summary>
    public static byte[] ValidMutatedOrRandom(Random random, Func<Random, byte[]> valid, int maxRandomLength = 4096) =>
        random.Next(10) switch
        {
            0 => RandomBytes(random, maxRandomLength),
            1 or 2 => valid(random),
            _ => Mutate(random, valid(random), valid(random)),
        };
}
