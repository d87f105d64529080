using DistTrain.Core.Layers;

namespace DistTrain.Core.Tests;

public sealed class PixelInputTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(784 * 3)]
    public void Every_byte_is_divided_by_255(int length)
    {
        byte[] pixels = [.. Enumerable.Range(0, length).Select(i => (byte)(i * 37 % 256))];
        var x = new float[length];
        PixelInput.Scale(pixels, x);
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(pixels[i] / 255f, x[i]);
        }
        Assert.Contains(0f, x);
        if (length > 7)
        {
            Assert.Contains(x, v => v > 0.9f && v <= 1f);
        }
    }
}
