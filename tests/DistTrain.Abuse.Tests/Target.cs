namespace DistTrain.Abuse.Tests;

/// <summary>
/// A server the suite attacks: the coordinator on one of its transports (training, with the
/// arguments that select the transport passed through to coordinator and worker), or the plain
/// Kestrel peer, for comparison.
/// </summary>
internal sealed record Target(string Name, IReadOnlyList<string> TransportArguments, bool IsKestrelPeer = false)
{
    /// <summary>
    /// One entry per transport of the coordinator. Today it has one, the HTTP/2 engine; once
    /// `--transport aspnetcore|fast` exists these become
    /// new("aspnetcore", ["--transport", "aspnetcore"]) and new("fast", ["--transport", "fast"]).
    /// </summary>
    public static readonly IReadOnlyList<Target> Transports = [new("engine", [])];

    public static readonly Target KestrelPeer = new("kestrel-peer", [], IsKestrelPeer: true);

    /// <summary>
    /// The targets of this test run: every transport, or those named in DISTTRAIN_ABUSE_TARGETS
    /// (comma-separated; "kestrel-peer" adds the comparison, which CI does not run).
    /// </summary>
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
        Transports.Append(KestrelPeer).SingleOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"DISTTRAIN_ABUSE_TARGETS: no target '{name}'; known: {string.Join(", ", Transports.Append(KestrelPeer).Select(t => t.Name))}");

    public override string ToString() => Name;
}
