using System.Text.Json;

namespace DistTrain.Abuse.Tests;

/// <summary>Runs one attack as its own Python process and reads the JSON line it ends with.</summary>
internal static class AttackScript
{
    public static async Task<AttackReport> RunAsync(Attack attack, string address)
    {
        var target = new Uri(address);
        using var process = ChildProcess.Start(Repository.Python, ["-u", .. attack.CommandLine, "--target", $"{target.Host}:{target.Port}"],
            environment: new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1" });
        var exit = await process.WaitAsync(TimeSpan.FromSeconds(attack.Seconds + 30));
        var output = process.Tail();
        var json = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith('{'));
        if (exit != 0 || json is null)
        {
            return new AttackReport(null, $"{attack.Script} {(exit is null ? "did not end within its duration + 30 s" : $"exited {exit}")}:\n{output}");
        }
        return new AttackReport(JsonDocument.Parse(json).RootElement.Clone(), "");
    }
}

/// <summary>What an attack script reported (null with an error when the script itself failed).</summary>
internal sealed record AttackReport(JsonElement? Json, string Error)
{
    /// <summary>What the attack found a correct server must not do (e.g. a well-behaved call that stalled).</summary>
    public IReadOnlyList<string> Violations =>
        Json?.GetProperty("violations").EnumerateArray().Select(v => v.GetString()!).ToList() ?? [];

    /// <summary>What the server did, in short: GOAWAY and reset codes, statuses, closed connections.</summary>
    public string ServerReaction =>
        Json?.GetProperty("server") is { } server && server.EnumerateObject().Any()
            ? string.Join(", ", server.EnumerateObject().Where(p => !p.Name.Contains(':', StringComparison.Ordinal)).Select(p => $"{p.Name} {p.Value}"))
            : "nothing";

    public string Sent =>
        Json?.GetProperty("sent") is { } sent ? string.Join(", ", sent.EnumerateObject().Select(p => $"{p.Name} {p.Value}")) : "";
}
