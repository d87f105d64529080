namespace DistTrain.Training.Outputs.Charts;

/// <summary>The epoch axis: whole epochs, a tick every 1, 2, 5, 10, ... epochs so that at most ten are labelled.</summary>
public sealed class EpochAxis(int first, int last)
{
    private const int MaxTicks = 10;

    public int First { get; } = first;

    public int Last { get; } = Math.Max(first, last);

    public IReadOnlyList<int> Ticks
    {
        get
        {
            var step = 1;
            foreach (var candidate in new[] { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000 })
            {
                step = candidate;
                if ((Last - First) / candidate + 1 <= MaxTicks)
                {
                    break;
                }
            }
            var start = step == 1 ? First : (First + step - 1) / step * step;
            var ticks = new List<int>();
            for (var epoch = start; epoch <= Last; epoch += step)
            {
                ticks.Add(epoch);
            }
            return ticks;
        }
    }

    /// <summary>Where <paramref name="epoch"/> falls from the first (0) to the last (1); a lone epoch sits in the middle.</summary>
    public double Fraction(int epoch) => Last == First ? 0.5 : (double)(epoch - First) / (Last - First);
}
