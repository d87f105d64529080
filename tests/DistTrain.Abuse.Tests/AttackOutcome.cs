using System.Globalization;
using System.Text;

namespace DistTrain.Abuse.Tests;

/// <summary>Everything measured about one attack on one server, and what of it broke a budget.</summary>
internal sealed class AttackOutcome
{
    public required Attack Attack { get; init; }

    public required AttackReport Report { get; init; }

    public required bool Survived { get; init; }

    public string ExitDescription { get; init; } = "";

    /// <summary>Health probes that overlapped the attack; filled in once every probe has ended.</summary>
    public IReadOnlyList<HealthProbe> HealthDuring { get; private set; } = [];

    /// <summary>Health probes that overlapped the window after it, up to <see cref="AfterUntil"/>.</summary>
    public IReadOnlyList<HealthProbe> HealthAfter { get; private set; } = [];

    public void TakeHealthFrom(HealthWatch health)
    {
        HealthDuring = health.Between(Start, End);
        HealthAfter = health.Between(End, AfterUntil);
    }

    public required long RssBeforeKb { get; init; }

    /// <summary>
    /// Peak resident memory from the attack's start until the next attack begins: what the server
    /// does with an attack's bytes after the attacker has gone counts too.
    /// </summary>
    public required long PeakRssKb { get; set; }

    /// <summary>Cores used in the CPU window after the grace; null when the process was gone.</summary>
    public required double? CpuAfterCores { get; init; }

    /// <summary>The training's own CPU (or the idle server's), cores.</summary>
    public required double CpuOwnCores { get; init; }

    /// <summary>Seconds of training lost to the attack (see <see cref="TrainingRun.DelayDuring"/>); null for a server that does not train.</summary>
    public double? TrainingDelaySeconds { get; set; }

    /// <summary>When the attack process started and ended, on <see cref="Clock"/>.</summary>
    public required TimeSpan Start { get; init; }

    public required TimeSpan End { get; init; }

    /// <summary>The end of the window after the attack: <see cref="Budgets.After"/>, or later if no probe had run by then.</summary>
    public required TimeSpan AfterUntil { get; init; }

    public TimeSpan Took => End - Start;

    /// <summary>The server's log lines when the attack began.</summary>
    public required int LogLinesAtStart { get; init; }

    /// <summary>Lines the server logged from the attack's start until the next attack began (lines arrive late from a busy server).</summary>
    public int LogLines { get; set; }

    /// <summary>Something about the run this attack met, e.g. that it was replaced first.</summary>
    public string Note { get; init; } = "";

    public IReadOnlyList<string> Failures
    {
        get
        {
            var failures = new List<string>();
            if (Report.Json is null)
            {
                failures.Add("the attack itself failed: " + Report.Error);
            }
            if (!Survived)
            {
                failures.Add("the server did not survive: " + ExitDescription);
            }
            failures.AddRange(HealthFailures("during the attack", HealthDuring));
            failures.AddRange(HealthFailures($"in the {(AfterUntil - End).TotalSeconds:0.#} s after it", HealthAfter));
            if (PeakRssKb > Budgets.RssKb)
            {
                failures.Add($"peak RSS {Mb(PeakRssKb)} MB exceeds the {Mb(Budgets.RssKb)} MB budget (it was {Mb(RssBeforeKb)} MB when the attack began)");
            }
            if (CpuAfterCores is { } cpu && cpu > CpuOwnCores + Budgets.CpuTolerance)
            {
                failures.Add($"CPU {cpu:0.00} cores from {Budgets.CpuGrace.TotalSeconds:0.#} s after the attack's end, against {CpuOwnCores:0.00} of its own unattacked (limit +{Budgets.CpuTolerance})");
            }
            failures.AddRange(Report.Violations.Select(v => "the attack found: " + v));
            return failures;
        }
    }

    public static string Mb(long kb) => (kb / 1024.0).ToString("0", CultureInfo.InvariantCulture);

    public static string Slowest(IEnumerable<HealthProbe> probes, HealthProbeKind kind) =>
        probes.Where(p => p.Kind == kind).Select(p => p.Took).DefaultIfEmpty().Max() is var t && t > TimeSpan.Zero
            ? $"{t.TotalSeconds:0.00} s" : "none";

    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"attack {Attack.Name}: {Attack.Script} {string.Join(' ', Attack.Arguments)} for {Attack.Seconds} s (ran {Took.TotalSeconds:0.0} s)");
        if (Note.Length > 0)
        {
            text.AppendLine(Note);
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"survived: {(Survived ? "yes" : "NO")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"health during: {Summary(HealthDuring)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"health after: {Summary(HealthAfter)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"RSS: {Mb(RssBeforeKb)} MB before, peak {Mb(PeakRssKb)} MB (budget {Mb(Budgets.RssKb)})");
        text.AppendLine(CultureInfo.InvariantCulture, $"CPU after: {(CpuAfterCores is { } c ? $"{c:0.00}" : "gone")} cores (own {CpuOwnCores:0.00})");
        if (TrainingDelaySeconds is { } delay)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"training delayed by {delay:0.0} s (the attack lasted {Took.TotalSeconds:0.0} s)");
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"server log lines during the attack: {LogLines}");
        text.AppendLine(CultureInfo.InvariantCulture, $"sent: {Report.Sent}");
        text.AppendLine(CultureInfo.InvariantCulture, $"server: {Report.ServerReaction}");
        if (Report.Json is { } json)
        {
            text.AppendLine("report: " + json.GetRawText());
        }
        var failures = Failures;
        text.AppendLine(failures.Count == 0 ? "PASSED" : "FAILED:\n  " + string.Join("\n  ", failures));
        return text.ToString();
    }

    private static IEnumerable<string> HealthFailures(string when, IReadOnlyList<HealthProbe> probes)
    {
        var cli = probes.Where(p => p.Kind == HealthProbeKind.Cli).ToList();
        var calls = probes.Where(p => p.Kind == HealthProbeKind.Call).ToList();
        if (cli.Count == 0 || calls.Count == 0)
        {
            yield return $"no health probe of each kind ran {when} ({cli.Count} disttrain health, {calls.Count} Check)";
        }
        var lateCalls = calls.Where(p => !p.Serving || p.Took > HealthWatch.Limit).ToList();
        if (lateCalls.Count > 0)
        {
            var first = lateCalls[0];
            yield return $"{lateCalls.Count} of {calls.Count} health Checks {when} got no SERVING within {HealthWatch.Limit.TotalSeconds:0.#} s: "
                + (first.Serving ? $"SERVING after {first.Took.TotalSeconds:0.00} s" : first.Detail);
        }
        var failedCli = cli.Where(p => !p.Serving).ToList();
        if (failedCli.Count > 0)
        {
            yield return $"{failedCli.Count} of {cli.Count} `disttrain health` probes {when} got no SERVING: {failedCli[0].Detail}";
        }
    }

    private static string Summary(IReadOnlyList<HealthProbe> probes)
    {
        var cli = probes.Where(p => p.Kind == HealthProbeKind.Cli).ToList();
        var call = probes.Where(p => p.Kind == HealthProbeKind.Call).ToList();
        return $"disttrain health {cli.Count(p => p.Serving)}/{cli.Count} serving (slowest process {Slowest(cli, HealthProbeKind.Cli)}); "
            + $"Check {call.Count(p => p.Serving)}/{call.Count} serving (slowest {Slowest(call, HealthProbeKind.Call)})";
    }
}
