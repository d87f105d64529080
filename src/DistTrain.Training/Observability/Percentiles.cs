namespace DistTrain.Training.Observability;

/// <summary>Order statistics of a sample, nearest-rank: p50 of [1, 2, 3, 4] is 2, p95 of 100 values is the 95th smallest.</summary>
public static class Percentiles
{
    /// <summary>The <paramref name="fraction"/> quantile (0 to 1) of values sorted ascending; NaN when there are none.</summary>
    public static double OfSorted(ReadOnlySpan<double> sorted, double fraction)
    {
        if (sorted.IsEmpty)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(Math.Clamp(fraction, 0, 1) * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The median of the values (a sorted copy is made).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return OfSorted(sorted, 0.5);
    }
}
