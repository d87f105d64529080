namespace DistTrain.Data.Tests;

public sealed class LabeledImagesTests
{
    [Fact]
    public void SlicesByImage()
    {
        var pixels = Enumerable.Range(0, 12).Select(i => (byte)i).ToArray();
        var images = new LabeledImages(pixels, [3, 1, 4], rows: 2, columns: 2);

        Assert.Equal(new byte[] { 4, 5, 6, 7, 8, 9, 10, 11 }, images.PixelsOf(1, 2).ToArray());
        Assert.Equal(new byte[] { 1, 4 }, images.LabelsOf(1, 2).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => images.PixelsOf(2, 2).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => images.LabelsOf(-1, 1).Length);
    }

    [Fact]
    public void RejectsInconsistentBuffers()
    {
        Assert.Throws<ArgumentException>(() => new LabeledImages(new byte[11], [0, 0, 0], rows: 2, columns: 2));
        Assert.Throws<ArgumentException>(() => new LabeledImages(new byte[12], [0, 10, 0], rows: 2, columns: 2));
    }
}
