// Copies scattered samples into contiguous batch buffers.
// Sizes: B = indices.Length samples, P = PixelsPerImage; pixels is B×P, labels is B.
namespace DistTrain.Data;

public static class BatchGather
{
    /// <summary>pixels[b·P ..][..P] = image indices[b]; labels[b] = its label. Destinations must be exactly B×P and B long.</summary>
    public static void Gather(LabeledImages source, ReadOnlySpan<int> indices, Span<byte> pixels, Span<byte> labels)
    {
        ArgumentNullException.ThrowIfNull(source);
        var size = source.PixelsPerImage;
        if (pixels.Length != (long)indices.Length * size)
        {
            throw new ArgumentException($"Pixel buffer holds {pixels.Length} bytes; {indices.Length} images of {size} pixels need {(long)indices.Length * size}.", nameof(pixels));
        }

        if (labels.Length != indices.Length)
        {
            throw new ArgumentException($"Label buffer holds {labels.Length} bytes; {indices.Length} samples need {indices.Length}.", nameof(labels));
        }

        var allPixels = source.Pixels.Span;
        var allLabels = source.Labels.Span;
        for (var b = 0; b < indices.Length; b++)
        {
            var index = indices[b];
            if ((uint)index >= (uint)source.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), index, $"Sample index at position {b} is outside 0..{source.Count - 1}.");
            }

            allPixels.Slice(index * size, size).CopyTo(pixels.Slice(b * size, size));
            labels[b] = allLabels[index];
        }
    }
}
