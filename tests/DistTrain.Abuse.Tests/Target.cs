namespace DistTrain.Abuse.Tests;

/// <summary>
/// A server the suite attacks: the coordinator on one of its transports, training, with the
/// arguments that select the transport passed through to coordinator and worker.
/// </summary>
internal sealed record Target(string Name, IReadOnlyList<string> TransportArguments)
{
    /// <summary>One entry per transport of the coordinator: Kestrel (the reference) and DistTrain's HTTP/2 engine.</summary>
    public static readonly IReadOnlyList<Target> Transports =
    [
        new("aspnetcore", ["--transport", "aspnetcore"]),
        new("fast", ["--transport", "fast"]),
    ];

    /// <summary>The targets of this test run: every transport, or those named in DISTTRAIN_ABUSE_TARGETS (comma-separated).</summary>
    public static IReadOnlyList<Target> Selected()
    {
        var names = Environment.GetEnvironmentVariable("DISTTRAIN_ABUSE_TARGETS");
        if (string.IsNullOrWhiteSpace(names))
        {
            return Transports;
        }
        return names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Named).ToList();
    }

    public static Target Named(string name) =>
        Transports.SingleOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"DISTTRAIN_ABUSE_TARGETS: no target '{name}'; known: {string.Join(", ", Transports.Select(t => t.Name))}");

    public override string ToString() => Name;
}
