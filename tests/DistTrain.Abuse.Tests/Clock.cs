using System.Diagnostics;

namespace DistTrain.Abuse.Tests;

/// <summary>One monotonic clock for every timestamp of a campaign: probes, log lines, attacks.</summary>
internal static class Clock
{
    private static readonly Stopwatch Watch = Stopwatch.StartNew();

    public static TimeSpan Now => Watch.Elapsed;

    public static async Task Until(TimeSpan at)
    {
        var wait = at - Now;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }
}
