// Parses one IDX file (plain or gzip) into its dimensions and unsigned-byte payload.
// Layout: 2 zero bytes, type byte (0x08 = unsigned byte), dimension count, one big-endian int32 per dimension, then the data.
using System.Buffers.Binary;
using System.IO.Compression;

namespace DistTrain.Data;

internal sealed record IdxFile(int[] Dimensions, byte[] Data)
{
    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads <paramref name="path"/>, expecting <paramref name="dimensionCount"/> dimensions (1 = labels, 3 = images).</summary>
    public static IdxFile Read(string path, int dimensionCount)
    {
        var expectedMagic = (UnsignedByteType << 8) | dimensionCount;
        try
        {
            using var stream = OpenDecompressed(path);
            Span<byte> magicBytes = stackalloc byte[4];
            ReadHeader(stream, magicBytes, path);
            var magic = BinaryPrimitives.ReadInt32BigEndian(magicBytes);
            if (magicBytes[0] != 0 || magicBytes[1] != 0 || magicBytes[3] != dimensionCount)
            {
                throw new DataException(
                    $"{path}: magic number 0x{magic:X8} is not that of an IDX {KindOf(dimensionCount)} file (0x{expectedMagic:X8}); check that the right file is in place.");
            }

            if (magicBytes[2] != UnsignedByteType)
            {
                throw new DataException(
                    $"{path}: data type 0x{magicBytes[2]:X2} is not unsigned byte (0x08); only unsigned-byte IDX files are supported.");
            }

            Span<byte> dimensionBytes = stackalloc byte[4 * dimensionCount];
            ReadHeader(stream, dimensionBytes, path);
            var dimensions = new int[dimensionCount];
            long payload = 1;
            for (var i = 0; i < dimensionCount; i++)
            {
                dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(dimensionBytes[(4 * i)..]);
                if (dimensions[i] <= 0)
                {
                    throw new DataException($"{path}: dimension {i} is {dimensions[i]}; every dimension must be positive. The file is corrupt: fetch it again.");
                }

                payload *= dimensions[i];
                if (payload > Array.MaxLength)
                {
                    throw new DataException($"{path}: dimensions {string.Join('×', dimensions[..(i + 1)])} describe more data than fits in memory. The file is corrupt: fetch it again.");
                }
            }

            var data = ReadData(stream, (int)payload);
            if (data.Length < payload)
            {
                throw new DataException(
                    $"{path}: file is truncated: its header ({string.Join('×', dimensions)}) describes {payload} data bytes but only {data.Length} follow. Fetch it again.");
            }

            if (stream.ReadByte() >= 0)
            {
                throw new DataException(
                    $"{path}: file has trailing bytes after the {data.Length} data bytes its header ({string.Join('×', dimensions)}) describes. The file is corrupt: fetch it again.");
            }

            return new IdxFile(dimensions, data);
        }
        catch (InvalidDataException e)
        {
            throw new DataException($"{path}: gzip stream is corrupt ({e.Message}). Fetch the file again.", e);
        }
        catch (FileNotFoundException e)
        {
            throw new DataException($"{path}: file not found.", e);
        }
    }

    /// <summary>Opens a file, transparently gunzipping it when it starts with the gzip magic 1f 8b (whatever its name).</summary>
    public static Stream OpenDecompressed(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> head = stackalloc byte[2];
        var isGzip = file.ReadAtLeast(head, 2, throwOnEndOfStream: false) == 2 && head[0] == 0x1f && head[1] == 0x8b;
        file.Position = 0;
        return isGzip ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16) : file;
    }

    /// <summary>
    /// The <paramref name="length"/> bytes the header announces, or fewer when the file ends first.
    /// A corrupt header must not make a small file allocate gigabytes: a plain file's buffer is
    /// what it still holds, and a gzip stream's (whose size only reading tells) grows as bytes arrive.
    /// </summary>
    private static byte[] ReadData(Stream stream, int length)
    {
        var data = new byte[stream.CanSeek ? Math.Min(length, stream.Length - stream.Position) : Math.Min(length, 1 << 16)];
        var read = 0;
        while (true)
        {
            read += stream.ReadAtLeast(data.AsSpan(read), data.Length - read, throwOnEndOfStream: false);
            if (read < data.Length || data.Length == length || stream.CanSeek)
            {
                return read == data.Length ? data : data[..read];
            }
            Array.Resize(ref data, (int)Math.Min(length, 2L * data.Length));
        }
    }

    private static void ReadHeader(Stream stream, Span<byte> destination, string path)
    {
        if (stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false) < destination.Length)
        {
            throw new DataException($"{path}: file is truncated inside its IDX header. Fetch it again.");
        }
    }

    private static string KindOf(int dimensionCount) => dimensionCount == 1 ? "label" : "image";
}
