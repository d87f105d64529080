using System.Globalization;

namespace DistTrain.Training.Outputs.Charts;

/// <summary>
/// A value axis with round ticks ("nice numbers": steps of 1, 2 or 5 times a power of ten) that
/// covers the data and never runs past what the quantity can be (a loss below 0, an accuracy
/// outside [0, 1]).
/// </summary>
public sealed class AxisScale
{
    private const int MaxIntervals = 6;

    private AxisScale(double min, double max, double step)
    {
        Min = min;
        Max = max;
        Step = step;
    }

    public double Min { get; }

    public double Max { get; }

    public double Step { get; }

    /// <summary>The tick values from <see cref="Min"/> to <see cref="Max"/>, rounded to the step's digits.</summary>
    public IReadOnlyList<double> Ticks
    {
        get
        {
            var digits = Math.Clamp(Decimals + 2, 0, 15);
            var count = (int)Math.Round((Max - Min) / Step);
            return [.. Enumerable.Range(0, count + 1).Select(i => Math.Round(Min + i * Step, digits))];
        }
    }

    /// <summary>Digits after the point that tell the ticks apart.</summary>
    public int Decimals => Math.Max(0, (int)Math.Ceiling(-Math.Log10(Step) - 1e-9));

    /// <summary>Round ticks covering <paramref name="values"/> (non-finite ones ignored), inside [<paramref name="floor"/>, <paramref name="ceiling"/>].</summary>
    public static AxisScale Covering(IEnumerable<double> values, double floor, double ceiling)
    {
        var finite = values.Where(double.IsFinite).Select(v => Math.Clamp(v, floor, ceiling)).ToList();
        var low = finite.Count > 0 ? finite.Min() : floor;
        var high = finite.Count > 0 ? finite.Max() : Math.Min(ceiling, floor + 1);
        if (high - low < 1e-12)
        {
            // One value (or all equal): show a small band around it.
            var half = Math.Max(Math.Abs(low) * 0.05, 1e-3);
            low = Math.Max(floor, low - half);
            high = Math.Min(ceiling, high + half);
        }
        var step = Nice((high - low) / MaxIntervals);
        var min = Math.Max(floor, Math.Floor(low / step + 1e-9) * step);
        var max = Math.Min(ceiling, Math.Ceiling(high / step - 1e-9) * step);
        if (max - min < step)
        {
            max = Math.Min(ceiling, min + step);
        }
        return new AxisScale(min, max, step);
    }

    /// <summary>Where <paramref name="value"/> falls between <see cref="Min"/> (0) and <see cref="Max"/> (1).</summary>
    public double Fraction(double value) => (Math.Clamp(value, Min, Max) - Min) / (Max - Min);

    /// <summary>A tick label with as many digits as the step needs.</summary>
    public string Label(double value) => value.ToString("F" + Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>A tick label as a percentage, for fractions such as accuracy.</summary>
    public string PercentLabel(double value)
    {
        var decimals = Math.Max(0, Decimals - 2);
        return (value * 100).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>The smallest of 1, 2, 5 × 10^k that is at least <paramref name="rough"/>.</summary>
    private static double Nice(double rough)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        foreach (var factor in new[] { 1.0, 2.0, 5.0, 10.0 })
        {
            if (factor * power >= rough * (1 - 1e-9))
            {
                return factor * power;
            }
        }
        return 10 * power;
    }
}
