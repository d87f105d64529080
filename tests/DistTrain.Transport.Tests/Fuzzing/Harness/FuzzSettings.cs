using System.Globalization;

namespace DistTrain.Fuzzing;

/// <summary>
/// How long and from which seed the fuzz targets run. By default each target runs a fixed number
/// of cases from a fixed seed, so CI is bounded and a failure reproduces. DISTTRAIN_FUZZ_CASES
/// runs that many cases per target instead (a failure's message gives the count that replays it);
/// DISTTRAIN_FUZZ_SECONDS runs every target for that many seconds (from a fresh seed unless
/// DISTTRAIN_FUZZ_SEED is set); DISTTRAIN_FUZZ_REPORT names a file each target appends its figures to.
/// </summary>
internal static class FuzzSettings
{
    public const ulong DefaultSeed = 20_250_901;

    /// <summary>Seconds per target for a long run; null for the bounded CI run.</summary>
    public static double? Seconds { get; } = Number("DISTTRAIN_FUZZ_SECONDS") is { } s && s > 0 ? s : null;

    /// <summary>Cases per target in place of each target's CI count; null for that count.</summary>
    public static long? Cases { get; } = Number("DISTTRAIN_FUZZ_CASES") is { } n && n >= 1 ? (long)n : null;

    public static ulong Seed { get; } = Environment.GetEnvironmentVariable("DISTTRAIN_FUZZ_SEED") is { Length: > 0 } text
        ? ulong.Parse(text, CultureInfo.InvariantCulture)
        : Seconds is null ? DefaultSeed : (ulong)DateTime.UtcNow.Ticks;

    public static string? ReportPath { get; } = Environment.GetEnvironmentVariable("DISTTRAIN_FUZZ_REPORT") is { Length: > 0 } path ? path : null;

    private static double? Number(string name) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
}
