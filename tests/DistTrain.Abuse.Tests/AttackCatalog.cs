namespace DistTrain.Abuse.Tests;

/// <summary>
/// Every attack the suite runs, in the order it runs them against one training run, with the bounds
/// CI uses (about 40 s of attacks in all). Each script takes larger bounds by hand; see --help.
/// </summary>
internal static class AttackCatalog
{
    public static readonly IReadOnlyList<Attack> All =
    [
        // The control: every check must pass when nothing attacks.
        new("none", "none.py", 1),
        new("rapid-reset", "rapid_reset.py", 3, "--connections", "2"),
        new("unread-streams", "unread_streams.py", 3, "--connections", "2"),
        new("idle-connections", "idle_connections.py", 2.5, "--connections", "3000", "--rate", "2000"),
        new("continuation-flood", "continuation_flood.py", 2, "--payload", "bytes", "--connections", "2"),
        new("empty-continuation-flood", "continuation_flood.py", 2, "--payload", "empty", "--connections", "2"),
        new("hpack-bomb", "hpack_bomb.py", 2, "--connections", "2", "--references", "16000"),
        new("oversized-header-block", "header_block.py", 1.5, "--connections", "2", "--block-size", "1048576"),
        new("settings-flood", "control_flood.py", 2, "--frame", "settings", "--connections", "2"),
        new("ping-flood", "control_flood.py", 2, "--frame", "ping", "--connections", "2"),
        new("slowloris", "slowloris.py", 2.5, "--connections", "400", "--interval", "0.5"),
        new("stalled-data", "stalled_data.py", 2, "--connections", "200"),
        new("oversized-data", "oversized_data.py", 1, "--rate", "20"),
        new("max-size-frames", "max_size_frames.py", 2.5, "--connections", "64"),
        new("window-update-overflow", "window_update_overflow.py", 1, "--rate", "40"),
        new("grpc-length-prefix-2gb", "length_prefix.py", 1, "--rate", "20"),
        // Ends once it has sent three times the server's connection window (a second or two).
        new("rejected-calls-then-client", "rejected_calls.py", 4, "--body", "1048576"),
        new("anonymous-workers", "anonymous_workers.py", 3, "--connections", "63", "--heartbeat", "1"),
    ];

    /// <summary>The attacks of this test run: all, or those named in DISTTRAIN_ABUSE_ATTACKS (comma-separated).</summary>
    public static IReadOnlyList<Attack> Selected()
    {
        var names = Environment.GetEnvironmentVariable("DISTTRAIN_ABUSE_ATTACKS");
        return string.IsNullOrWhiteSpace(names)
            ? All
            : names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Named).ToList();
    }

    public static Attack Named(string name) =>
        All.SingleOrDefault(a => a.Name == name)
        ?? throw new ArgumentException($"no attack '{name}'; known: {string.Join(", ", All.Select(a => a.Name))}");
}
