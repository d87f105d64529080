using System.Globalization;

namespace DistTrain.Transport.Http2.Wire;

/// <summary>
/// The grpc-timeout header: 1 to 8 ASCII digits and a unit, H (hours), M (minutes), S (seconds),
/// m (milliseconds), u (microseconds) or n (nanoseconds).
/// </summary>
internal static class GrpcTimeout
{
    private const long MaxValue = 99_999_999;

    public static bool TryParse(string? text, out TimeSpan timeout)
    {
        timeout = default;
        if (text is null || text.Length < 2 || text.Length > 9)
        {
            return false;
        }
        long value = 0;
        foreach (var c in text.AsSpan(0, text.Length - 1))
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        long? ticks = text[^1] switch
        {
            'H' => value * TimeSpan.TicksPerHour,
            'M' => value * TimeSpan.TicksPerMinute,
            'S' => value * TimeSpan.TicksPerSecond,
            'm' => value * TimeSpan.TicksPerMillisecond,
            'u' => value * TimeSpan.TicksPerMicrosecond,
            // Round nanoseconds up to whole ticks (100 ns) so a tiny timeout never becomes zero.
            'n' => (value + 99) / 100,
            _ => null,
        };
        if (ticks is null)
        {
            return false;
        }
        timeout = TimeSpan.FromTicks(ticks.Value);
        return true;
    }

    /// <summary>The finest unit that fits in 8 digits, rounded up so the server never sees a shorter timeout.</summary>
    public static string Format(TimeSpan timeout)
    {
        var ticks = timeout.Ticks;
        if (ticks <= 0)
        {
            // The value must be positive; an expired deadline becomes the smallest one.
            return Text(1, 'n');
        }
        if (ticks <= MaxValue / 100)
        {
            return Text(ticks * 100, 'n');
        }
        ReadOnlySpan<(long TicksPerUnit, char Unit)> units =
        [
            (TimeSpan.TicksPerMicrosecond, 'u'),
            (TimeSpan.TicksPerMillisecond, 'm'),
            (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'),
            (TimeSpan.TicksPerHour, 'H'),
        ];
        foreach (var (ticksPerUnit, unit) in units)
        {
            var value = (ticks / ticksPerUnit) + (ticks % ticksPerUnit == 0 ? 0 : 1);
            if (value <= MaxValue)
            {
                return Text(value, unit);
            }
        }
        return Text(MaxValue, 'H');
    }

    private static string Text(long value, char unit) =>
        value.ToString(CultureInfo.InvariantCulture) + unit;
}
