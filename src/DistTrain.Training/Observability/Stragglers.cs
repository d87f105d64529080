namespace DistTrain.Training.Observability;

/// <summary>
/// Which workers are stragglers: those whose median shard round trip is more than
/// <c>factor</c> times the median of the other workers' medians. Comparing with the others rather
/// than with a median that includes the worker itself keeps the rule meaningful with two workers,
/// where the median of both would sit halfway to the slow one.
/// </summary>
public static class Stragglers
{
    /// <summary>The names in <paramref name="medians"/> (worker, median round trip) that straggle.</summary>
    public static IReadOnlyList<string> Find(IReadOnlyList<(string Worker, double Median)> medians, double factor)
    {
        var found = new List<string>();
        if (medians.Count < 2)
        {
            return found;
        }
        foreach (var (worker, median) in medians)
        {
            var others = Percentiles.Median(medians.Where(m => m.Worker != worker).Select(m => m.Median));
            if (median > factor * others)
            {
                found.Add(worker);
            }
        }
        return found;
    }
}
