// Images and their class labels, held as raw bytes.
// Sizes: Count images of Rows × Columns pixels (PixelsPerImage), labels in 0..Classes-1.
namespace DistTrain.Data;

public sealed class LabeledImages
{
    /// <summary>Wraps pixel and label buffers; the arrays are kept, not copied.</summary>
    /// <param name="pixels">Count × Rows × Columns bytes, one image after the other, row-major.</param>
    /// <param name="labels">Count bytes, each below <paramref name="classes"/>.</param>
    public LabeledImages(byte[] pixels, byte[] labels, int rows, int columns, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);

        var pixelsPerImage = (long)rows * columns;
        if (pixelsPerImage * labels.Length != pixels.Length)
        {
            throw new ArgumentException(
                $"Pixel buffer holds {pixels.Length} bytes but {labels.Length} labels × {rows}×{columns} pixels need {pixelsPerImage * labels.Length}.",
                nameof(pixels));
        }

        var outOfRange = classes > byte.MaxValue ? -1 : labels.AsSpan().IndexOfAnyInRange((byte)classes, byte.MaxValue);
        if (outOfRange >= 0)
        {
            throw new ArgumentException(
                $"Label {labels[outOfRange]} at index {outOfRange} is outside 0..{classes - 1}.", nameof(labels));
        }

        Count = labels.Length;
        Rows = rows;
        Columns = columns;
        PixelsPerImage = (int)pixelsPerImage;
        Classes = classes;
        Pixels = pixels;
        Labels = labels;
    }

    public int Count { get; }

    public int Rows { get; }

    public int Columns { get; }

    public int PixelsPerImage { get; }

    public int Classes { get; }

    /// <summary>Count × PixelsPerImage bytes, row-major.</summary>
    public ReadOnlyMemory<byte> Pixels { get; }

    /// <summary>Count bytes, each below Classes.</summary>
    public ReadOnlyMemory<byte> Labels { get; }

    /// <summary>The pixels of images index..index+count-1, contiguous.</summary>
    public ReadOnlySpan<byte> PixelsOf(int index, int count)
    {
        CheckRange(index, count);
        return Pixels.Span.Slice(index * PixelsPerImage, count * PixelsPerImage);
    }

    /// <summary>The labels of images index..index+count-1.</summary>
    public ReadOnlySpan<byte> LabelsOf(int index, int count)
    {
        CheckRange(index, count);
        return Labels.Span.Slice(index, count);
    }

    private void CheckRange(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)index + count > Count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(count), $"Images {index}..{(long)index + count - 1} are past the last of {Count} images.");
        }
    }
}
