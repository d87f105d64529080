namespace DistTrain.Training.Observability;

/// <summary>The last <c>capacity</c> values of a measurement, for percentiles of recent behaviour.</summary>
public sealed class SampleWindow(int capacity)
{
    private readonly double[] values = new double[capacity];
    private int next;
    private int count;

    public int Count => count;

    public void Add(double value)
    {
        values[next] = value;
        next = (next + 1) % values.Length;
        count = Math.Min(count + 1, values.Length);
    }

    /// <summary>The values held, sorted ascending.</summary>
    public double[] Sorted()
    {
        var copy = values.AsSpan(0, count).ToArray();
        Array.Sort(copy);
        return copy;
    }
}
