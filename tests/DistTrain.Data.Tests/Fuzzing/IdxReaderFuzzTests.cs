using System.Buffers.Binary;
using System.IO.Compression;
using DistTrain.Fuzzing;
using Xunit.Abstractions;

namespace DistTrain.Data.Tests.Fuzzing;

/// <summary>
/// The IDX reader on damaged image and label files, plain or gzip: it returns exactly what a plain
/// reading of the (decompressed) bytes gives, or throws DataException when that reading finds
/// them wrong; never another exception, and it allocates at most a few times what the files hold,
/// whatever their headers claim.
/// </summary>
public sealed class IdxReaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int[] Classes = [2, 10, 255, 256];
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fuzz_idx_pair_reads_as_specified_or_throws_DataException() =>
        FuzzRunner.Run(new FuzzTarget("idx-read", 2000, r => Mutator.ValidMutatedOrRandom(r, Valid, 1024), Check), output.WriteLine);

    /// <summary>
    /// Input: a byte choosing the class count and which file to gzip after mutation, the images
    /// file's length (2 bytes), the images file, the labels file.
    /// </summary>
    private string Check(byte[] input)
    {
        if (input.Length < 3)
        {
            return "short";
        }
        var config = input[0];
        var classes = Classes[config & 3];
        var split = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(1)), input.Length - 3);
        var images = input[3..(3 + split)];
        var labels = input[(3 + split)..];
        var imagesFile = (config & 4) == 0 ? images : SyntheticIdx.Gzip(images);
        var labelsFile = (config & 8) == 0 ? labels : SyntheticIdx.Gzip(labels);
        var imagesPath = WriteNew("images", imagesFile);
        var labelsPath = WriteNew("labels", labelsFile);
        var expected = Reference(imagesFile, labelsFile, classes, out var held);

        var before = GC.GetAllocatedBytesForCurrentThread();
        LabeledImages? read;
        try
        {
            read = IdxReader.ReadPair(imagesPath, labelsPath, classes);
        }
        catch (DataException)
        {
            read = null;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Two files' buffers and the gzip machinery are a fixed cost; the data is kept once, and a
        // gzip stream's size is known only by reading it, so its buffer may grow by doubling.
        var bound = (4L * held) + (1 << 20);
        Require.True("allocation bound", allocated <= bound, $"files holding {held} bytes made the reader allocate {allocated} (bound {bound})");
        Require.True("same verdict", (read is null) == (expected is null),
            read is null ? "the reader refused files a plain reading accepts" : "the reader accepted files a plain reading refuses");
        if (read is null)
        {
            return "DataException";
        }
        Require.True("same images", read.Rows == expected!.Value.Rows && read.Columns == expected.Value.Columns
            && read.Pixels.Span.SequenceEqual(expected.Value.Pixels) && read.Labels.Span.SequenceEqual(expected.Value.Labels) && read.Classes == classes,
            $"read {read.Count} images of {read.Rows}×{read.Columns}, expected {expected.Value.Labels.Length} of {expected.Value.Rows}×{expected.Value.Columns}");
        return "read";
    }

    /// <summary>A new file each time: overwriting one makes ext4 flush it on close (auto_da_alloc), 20 times slower.</summary>
    private string WriteNew(string name, byte[] bytes)
    {
        var path = _temp.File(name);
        File.Delete(path);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>What the files hold by the format's definition, or null where it says they are wrong; <paramref name="held"/> is their decompressed size.</summary>
    private static (byte[] Pixels, byte[] Labels, int Rows, int Columns)? Reference(byte[] imagesFile, byte[] labelsFile, int classes, out long held)
    {
        var images = Decompressed(imagesFile);
        var labels = Decompressed(labelsFile);
        held = imagesFile.Length + labelsFile.Length + (images?.Length ?? 0) + (labels?.Length ?? 0);
        if (Body(images, 3) is not { } i || Body(labels, 1) is not { } l || i.Dimensions[0] != l.Dimensions[0] || l.Data.Any(label => label >= classes))
        {
            return null;
        }
        return (i.Data, l.Data, i.Dimensions[1], i.Dimensions[2]);
    }

    /// <summary>Zero, zero, type 0x08, the dimension count, positive big-endian dimensions, then exactly their product in bytes.</summary>
    private static (int[] Dimensions, byte[] Data)? Body(byte[]? file, int dimensionCount)
    {
        var header = 4 + (4 * dimensionCount);
        if (file is null || file.Length < header || file[0] != 0 || file[1] != 0 || file[2] != 0x08 || file[3] != dimensionCount)
        {
            return null;
        }
        var dimensions = Enumerable.Range(0, dimensionCount).Select(d => BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(4 + (4 * d)))).ToArray();
        long size = 1;
        foreach (var d in dimensions)
        {
            if (d <= 0 || size * d > Array.MaxLength)
            {
                return null;
            }
            size *= d;
        }
        return file.Length - header == size ? (dimensions, file[header..]) : null;
    }

    /// <summary>The bytes, gunzipped when they start with the gzip magic; null for a corrupt gzip stream.</summary>
    private static byte[]? Decompressed(byte[] file)
    {
        if (file.Length < 2 || file[0] != 0x1f || file[1] != 0x8b)
        {
            return file;
        }
        try
        {
            using var gzip = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            gzip.CopyTo(plain);
            return plain.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Images of up to 20 × 28 × 28 and as many labels (now and then one too many, or one out of range), some gzipped before mutation.</summary>
    private static byte[] Valid(Random random)
    {
        var count = random.Next(1, 21);
        var images = SyntheticIdx.Images(count, random.Next(1, 29), random.Next(1, 29));
        var labels = SyntheticIdx.Labels([.. Enumerable.Range(0, random.Next(20) == 0 ? count + 1 : count).Select(_ => (byte)random.Next(random.Next(20) == 0 ? 256 : 2))]);
        if (random.Next(4) == 0)
        {
            images = SyntheticIdx.Gzip(images);
        }
        if (random.Next(4) == 0)
        {
            labels = SyntheticIdx.Gzip(labels);
        }
        var config = (byte)random.Next(256);
        return [config, (byte)(images.Length >> 8), (byte)images.Length, .. images, .. labels];
    }
}
