namespace DistTrain.Fuzzing;

/// <summary>
/// One parser under fuzz: <see cref="Generate"/> makes an input from a case's random source,
/// <see cref="Check"/> runs the parser on it and returns a short outcome label ("decoded",
/// "HpackException", ...) for the report, or throws when a property is broken.
/// </summary>
internal sealed record FuzzTarget(string Name, int CiCases, Func<Random, byte[]> Generate, Func<byte[], string> Check)
{
    /// <summary>A case running longer than this is reported as a hang, with its input.</summary>
    public TimeSpan CaseTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>What one run of a target did: cases, time and how often each outcome came up.</summary>
internal sealed record FuzzReport(string Name, ulong Seed, long Cases, TimeSpan Elapsed, IReadOnlyDictionary<string, long> Outcomes)
{
    public override string ToString() =>
        $"fuzz {Name}: {Cases} cases in {Elapsed.TotalSeconds:0.0} s (seed {Seed}), no failure; outcomes: "
        + string.Join(", ", Outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"));
}
