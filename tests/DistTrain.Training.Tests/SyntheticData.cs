using DistTrain.Data;

namespace DistTrain.Training.Tests;

/// <summary>A small made-up dataset of 784-pixel images whose label is learnable from the pixels.</summary>
internal static class SyntheticData
{
    public static Dataset Create(int train = 512, int test = 200, int seed = 7)
    {
        return new Dataset(DatasetKind.Mnist, Images(train, seed), Images(test, seed + 1));
    }

    private static LabeledImages Images(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 784];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            var label = random.Next(10);
            labels[i] = (byte)label;
            for (int p = 0; p < 784; p++)
            {
                // A bright band whose position is the label, plus noise.
                var band = p / 78 == label ? 200 : 0;
                pixels[i * 784 + p] = (byte)Math.Min(255, band + random.Next(40));
            }
        }
        return new LabeledImages(pixels, labels, 28, 28);
    }
}
