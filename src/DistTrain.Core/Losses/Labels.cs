// Label checks and accuracy counting. Sizes: N = samples, C = classes; logits Z [N × C].
namespace DistTrain.Core.Losses;

internal static class Labels
{
    public static int Check(byte label, int classes) =>
        label < classes
            ? label
            : throw new ArgumentOutOfRangeException(nameof(label), label, $"Labels must be below the {classes} classes.");

    /// <summary>Samples whose largest logit (the first one on ties) is at their label.</summary>
    public static int CountCorrect(ReadOnlySpan<float> z, ReadOnlySpan<byte> labels, int n, int c)
    {
        int correct = 0;
        for (int row = 0; row < n; row++)
        {
            ReadOnlySpan<float> zRow = z.Slice(row * c, c);
            int best = 0;
            for (int k = 1; k < c; k++)
            {
                if (zRow[k] > zRow[best])
                {
                    best = k;
                }
            }
            if (best == labels[row])
            {
                correct++;
            }
        }
        return correct;
    }
}
