// Builds small IDX files byte by byte, so tests can also build broken ones.
using System.Buffers.Binary;
using System.IO.Compression;

namespace DistTrain.Data.Tests;

internal static class SyntheticIdx
{
    /// <summary>An idx3 file of count images; pixel p of image i is (i·31 + p) mod 256.</summary>
    public static byte[] Images(int count, int rows, int columns)
    {
        var data = new byte[count * rows * columns];
        for (var i = 0; i < count; i++)
        {
            for (var p = 0; p < rows * columns; p++)
            {
                data[(i * rows * columns) + p] = (byte)((i * 31) + p);
            }
        }

        return File(0x08, [count, rows, columns], data);
    }

    public static byte[] Labels(params byte[] labels) => File(0x08, [labels.Length], labels);

    /// <summary>Header (0, 0, type, dims.Length, big-endian dims) followed by data.</summary>
    public static byte[] File(byte type, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + (4 * dims.Length) + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (var i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }

        data.CopyTo(bytes, 4 + (4 * dims.Length));
        return bytes;
    }

    public static byte[] Gzip(byte[] plain)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(plain);
        }

        return buffer.ToArray();
    }

    /// <summary>Writes a consistent four-file dataset of the given sizes into dataDir/&lt;kind name&gt;.</summary>
    public static void WriteDataset(DatasetKind kind, string dataDir, int train, int test, int rows = 4, int columns = 3, bool gzip = false)
    {
        var directory = Directory.CreateDirectory(DatasetStore.DirectoryFor(kind, dataDir)).FullName;
        var suffix = gzip ? ".gz" : string.Empty;
        byte[] Encode(byte[] plain) => gzip ? Gzip(plain) : plain;
        System.IO.File.WriteAllBytes(Path.Combine(directory, "train-images-idx3-ubyte" + suffix), Encode(Images(train, rows, columns)));
        System.IO.File.WriteAllBytes(Path.Combine(directory, "train-labels-idx1-ubyte" + suffix), Encode(Labels(CyclicLabels(train))));
        System.IO.File.WriteAllBytes(Path.Combine(directory, "t10k-images-idx3-ubyte" + suffix), Encode(Images(test, rows, columns)));
        System.IO.File.WriteAllBytes(Path.Combine(directory, "t10k-labels-idx1-ubyte" + suffix), Encode(Labels(CyclicLabels(test))));
    }

    /// <summary>0, 1, ..., 9, 0, 1, ...</summary>
    public static byte[] CyclicLabels(int count) => Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
}
