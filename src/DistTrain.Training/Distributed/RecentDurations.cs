namespace DistTrain.Training.Distributed;

/// <summary>The last few hundred shard round trips of one kind of task, for telling a late shard from a normal one.</summary>
public sealed class RecentDurations(int capacity = 256)
{
    private readonly double[] _seconds = new double[capacity];
    private int _count;
    private int _next;

    public int Count => _count;

    /// <summary>The durations of several, as one (capacity: all of them).</summary>
    public static RecentDurations Merge(IEnumerable<RecentDurations> parts)
    {
        var list = parts.ToList();
        var merged = new RecentDurations(Math.Max(1, list.Sum(p => p._count)));
        foreach (var part in list)
        {
            for (var i = 0; i < part._count; i++)
            {
                merged.Add(part._seconds[i]);
            }
        }
        return merged;
    }

    public void Add(double seconds)
    {
        _seconds[_next] = seconds;
        _next = (_next + 1) % _seconds.Length;
        _count = Math.Min(_count + 1, _seconds.Length);
    }

    /// <summary>The <paramref name="quantile"/> (0..1) of the recorded durations, nearest rank; 0 when there are none.</summary>
    public double Quantile(double quantile)
    {
        if (_count == 0)
        {
            return 0;
        }
        var sorted = _seconds.AsSpan(0, _count).ToArray();
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(quantile * _count) - 1;
        return sorted[Math.Clamp(rank, 0, _count - 1)];
    }
}
