// Reads a pair of IDX files (images idx3, labels idx1) into LabeledImages, validating everything the format allows to go wrong.
namespace DistTrain.Data;

public static class IdxReader
{
    /// <summary>
    /// Reads an images file (magic 0x00000803) and its labels file (magic 0x00000801), plain or gzip
    /// (detected by the gzip magic bytes, not the extension). Throws <see cref="DataException"/> naming the file on
    /// a bad magic or type byte, non-positive dimensions, a length other than header + data, mismatched counts
    /// or a label outside 0..classes-1.
    /// </summary>
    public static LabeledImages ReadPair(string imagesPath, string labelsPath, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);

        var images = IdxFile.Read(imagesPath, 3);
        var labels = IdxFile.Read(labelsPath, 1);
        var imageCount = images.Dimensions[0];
        var labelCount = labels.Dimensions[0];
        if (imageCount != labelCount)
        {
            throw new DataException(
                $"{imagesPath} holds {imageCount} images but {labelsPath} holds {labelCount} labels; the two files must come from the same split.");
        }

        var outOfRange = classes > byte.MaxValue ? -1 : labels.Data.AsSpan().IndexOfAnyInRange((byte)classes, byte.MaxValue);
        if (outOfRange >= 0)
        {
            throw new DataException(
                $"{labelsPath}: label {labels.Data[outOfRange]} at index {outOfRange} is outside 0..{classes - 1}. The file is corrupt or from another dataset.");
        }

        return new LabeledImages(images.Data, labels.Data, images.Dimensions[1], images.Dimensions[2], classes);
    }
}
