namespace DistTrain.Data.Tests;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesAndLabels(bool gzip)
    {
        var (images, labels) = Write(SyntheticIdx.Images(5, 4, 3), SyntheticIdx.Labels(7, 0, 9, 3, 3), gzip);

        var read = IdxReader.ReadPair(images, labels);

        Assert.Equal(5, read.Count);
        Assert.Equal(4, read.Rows);
        Assert.Equal(3, read.Columns);
        Assert.Equal(12, read.PixelsPerImage);
        Assert.Equal(10, read.Classes);
        Assert.Equal(new byte[] { 7, 0, 9, 3, 3 }, read.Labels.ToArray());
        Assert.Equal(60, read.Pixels.Length);
        // Image 2 pixel 5 was written as (2·31 + 5) mod 256.
        Assert.Equal(67, read.PixelsOf(2, 1)[5]);
        Assert.Equal(new byte[] { 9, 3 }, read.LabelsOf(2, 2).ToArray());
    }

    [Fact]
    public void ReadsAGzipFileLargerThanTheReadersFirstBuffer()
    {
        // 300 images of 28×28 are 235,200 bytes: the gzip path's buffer grows from 64 KB twice.
        var plain = SyntheticIdx.Images(300, 28, 28);
        var (images, labels) = Write(plain, SyntheticIdx.Labels(SyntheticIdx.CyclicLabels(300)), gzip: true);

        var read = IdxReader.ReadPair(images, labels);

        Assert.Equal(plain[16..], read.Pixels.ToArray());
    }

    [Fact]
    public void DetectsGzipByContentNotByName()
    {
        // A gzip file without .gz in its name, and a plain one with it.
        var images = temp.File("images");
        var labels = temp.File("labels.gz");
        File.WriteAllBytes(images, SyntheticIdx.Gzip(SyntheticIdx.Images(2, 2, 2)));
        File.WriteAllBytes(labels, SyntheticIdx.Labels(1, 2));

        var read = IdxReader.ReadPair(images, labels);

        Assert.Equal(2, read.Count);
        Assert.Equal(new byte[] { 1, 2 }, read.Labels.ToArray());
    }

    [Fact]
    public void RejectsWrongMagic()
    {
        // A label file where an image file belongs.
        var (images, labels) = Write(SyntheticIdx.Labels(1, 2), SyntheticIdx.Labels(1, 2));

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains("magic number 0x00000801", e.Message, StringComparison.Ordinal);
        Assert.Contains("0x00000803", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsNonZeroLeadingMagicBytes()
    {
        var bytes = SyntheticIdx.Labels(1, 2);
        bytes[0] = 0x42;
        var (images, labels) = Write(SyntheticIdx.Images(2, 2, 2), bytes);

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("magic number", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsWrongTypeByte()
    {
        // 0x0D is float in IDX.
        var (images, labels) = Write(SyntheticIdx.File(0x0D, [2, 2, 2], new byte[8]), SyntheticIdx.Labels(1, 2));

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains("data type 0x0D", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RejectsTruncatedData(bool gzip)
    {
        var full = SyntheticIdx.Images(3, 2, 2);
        var (images, labels) = Write(full[..^1], SyntheticIdx.Labels(1, 2, 3), gzip);

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.Contains("12 data bytes but only 11", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsTruncatedHeader()
    {
        var (images, labels) = Write(SyntheticIdx.Images(3, 2, 2), SyntheticIdx.Labels(1, 2, 3)[..6]);

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated inside its IDX header", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RejectsAHeaderClaimingMoreThanTheFileHoldsWithoutAllocatingIt(bool gzip)
    {
        // Found by IdxReaderFuzzTests: 3 × 1 × 202182159 announced, 4 bytes present; the reader took 600 MB before noticing.
        var (images, labels) = Write(SyntheticIdx.File(0x08, [3, 1, 0x0C0D0E0F], [1, 2, 3, 4]), SyntheticIdx.Labels(1, 2, 3), gzip);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1 << 20);
        Assert.Contains("606546477 data bytes but only 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsCutGzipStream()
    {
        var gzip = SyntheticIdx.Gzip(SyntheticIdx.Images(50, 8, 8));
        var images = temp.File("images.gz");
        var labels = temp.File("labels");
        File.WriteAllBytes(images, gzip[..(gzip.Length / 2)]);
        File.WriteAllBytes(labels, SyntheticIdx.Labels(SyntheticIdx.CyclicLabels(50)));

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(images, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RejectsTrailingBytes(bool gzip)
    {
        var (images, labels) = Write(SyntheticIdx.Images(3, 2, 2), [.. SyntheticIdx.Labels(1, 2, 3), 0], gzip);

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("trailing bytes", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 2, 2)]
    [InlineData(2, 0, 2)]
    [InlineData(2, 2, -1)]
    public void RejectsNonPositiveDimensions(int count, int rows, int columns)
    {
        var (images, labels) = Write(SyntheticIdx.File(0x08, [count, rows, columns], []), SyntheticIdx.Labels(1, 2));

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains("must be positive", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsDimensionsTooLargeForMemory()
    {
        var (images, labels) = Write(SyntheticIdx.File(0x08, [int.MaxValue, 1000, 1000], []), SyntheticIdx.Labels(1, 2));

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(images, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsImageLabelCountMismatch()
    {
        var (images, labels) = Write(SyntheticIdx.Images(3, 2, 2), SyntheticIdx.Labels(1, 2));

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(images, e.Message, StringComparison.Ordinal);
        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("3 images", e.Message, StringComparison.Ordinal);
        Assert.Contains("2 labels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsLabelOutsideClasses()
    {
        var (images, labels) = Write(SyntheticIdx.Images(3, 2, 2), SyntheticIdx.Labels(1, 10, 2));

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels));

        Assert.Contains(labels, e.Message, StringComparison.Ordinal);
        Assert.Contains("label 10 at index 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HonoursClassCount()
    {
        var (images, labels) = Write(SyntheticIdx.Images(3, 2, 2), SyntheticIdx.Labels(1, 10, 2));

        var read = IdxReader.ReadPair(images, labels, classes: 11);

        Assert.Equal(11, read.Classes);
        Assert.Throws<DataException>(() => IdxReader.ReadPair(images, labels, classes: 3));
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var (images, _) = Write(SyntheticIdx.Images(1, 1, 1), SyntheticIdx.Labels(1));
        var missing = temp.File("nope");

        var e = Assert.Throws<DataException>(() => IdxReader.ReadPair(images, missing));

        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    private (string Images, string Labels) Write(byte[] images, byte[] labels, bool gzip = false)
    {
        var imagesPath = temp.File(gzip ? "images.gz" : "images");
        var labelsPath = temp.File(gzip ? "labels.gz" : "labels");
        File.WriteAllBytes(imagesPath, gzip ? SyntheticIdx.Gzip(images) : images);
        File.WriteAllBytes(labelsPath, gzip ? SyntheticIdx.Gzip(labels) : labels);
        return (imagesPath, labelsPath);
    }
}
