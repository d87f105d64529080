using System.Globalization;
using System.Text;

namespace DistTrain.Abuse.Tests;

/// <summary>A campaign's results as a Markdown table, one row per attack, written to TestResults/abuse-TARGET.md.</summary>
internal static class CampaignReport
{
    public static string Table(Campaign campaign)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## {campaign.Target.Name}");
        text.AppendLine();
        if (campaign.Unattacked is { } u)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Unattacked ({Calibration.Epochs} epochs): {u.SteadyEpochSeconds:0.00} s per epoch, coordinator CPU {u.CpuOwnCores:0.00} cores, peak RSS {AttackOutcome.Mb(u.PeakRssKb)} MB.");
            foreach (var run in campaign.Runs)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- training run {run.Number} ({run.Epochs} epochs; attacks {string.Join(", ", run.Attacks)}): {Ending(campaign, run)}");
            }
            var failures = BitsFailures(campaign);
            text.AppendLine();
            text.AppendLine(failures.Count == 0 ? "Bits: every run that finished has the weights_sha256 of the unattacked run." : "Bits: " + string.Join("; ", failures));
            text.AppendLine();
        }
        text.AppendLine("| attack | survived | health during: slowest Check, `disttrain health` serving | health after | peak RSS MB (before) | CPU after, cores (own) | training delay | log lines | server's reaction | verdict |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var attack in AttackCatalog.Selected())
        {
            if (!campaign.Outcomes.TryGetValue(attack.Name, out var o))
            {
                continue;
            }
            var failures = o.Failures;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {attack.Name} | {(o.Survived ? "yes" : "**no**")} | {Health(o.HealthDuring)} | {Health(o.HealthAfter)} | {AttackOutcome.Mb(o.PeakRssKb)} ({AttackOutcome.Mb(o.RssBeforeKb)}) "
                + $"| {(o.CpuAfterCores is { } c ? c.ToString("0.00", CultureInfo.InvariantCulture) : "-")} ({o.CpuOwnCores:0.00}) "
                + $"| {(o.TrainingDelaySeconds is { } d ? Math.Round(d, 1).ToString("+0.0 s;-0.0 s;0.0 s", CultureInfo.InvariantCulture) : "-")} | {o.LogLines} | {Escape(o.Report.ServerReaction)} "
                + $"| {Verdict(failures)}{(campaign.Repeats.TryGetValue(attack.Name, out var r) ? $"; tried again: {Verdict(r.Failures)} (health {Health(r.HealthDuring)} / {Health(r.HealthAfter)}, CPU after {r.CpuAfterCores:0.00}, peak {AttackOutcome.Mb(r.PeakRssKb)} MB)" : "")} |");
        }
        return text.ToString();
    }

    private static string Verdict(IReadOnlyList<string> failures) =>
        failures.Count == 0 ? "pass" : "**FAIL**: " + Escape(string.Join("; ", failures));

    public static void Write(Campaign campaign)
    {
        Directory.CreateDirectory(Repository.ResultsDir);
        File.WriteAllText(Path.Combine(Repository.ResultsDir, $"abuse-{campaign.Target.Name}.md"), Table(campaign));
    }

    /// <summary>Why the training's bits cannot be said to be the unattacked ones; empty when they are.</summary>
    public static IReadOnlyList<string> BitsFailures(Campaign campaign)
    {
        var failures = new List<string>();
        failures.AddRange(campaign.ReferenceErrors.Select(e => "the unattacked reference run failed: " + e));
        foreach (var run in campaign.Runs.Where(r => !r.Killed))
        {
            var attacks = string.Join(", ", run.Attacks);
            if (run.WeightsSha256 is null)
            {
                failures.Add($"training run {run.Number} (attacks {attacks}) ended without a result: {run.Error}");
            }
            else if (campaign.ReferenceSha.TryGetValue(run.Epochs, out var reference) && run.WeightsSha256 != reference)
            {
                failures.Add($"training run {run.Number} (attacks {attacks}) ended with weights_sha256 {run.WeightsSha256}, the unattacked run with {reference}");
            }
        }
        // Runs the suite stopped (to start the next attack clean) prove nothing; one must have finished.
        if (!campaign.Runs.Any(r => r.WeightsSha256 is not null))
        {
            failures.Add("no training run finished");
        }
        return failures;
    }

    private static string Ending(Campaign campaign, RunRecord run)
    {
        if (run.Killed)
        {
            return "stopped by the suite, because " + run.ReplacedBecause;
        }
        if (run.Seconds is not { } seconds)
        {
            return "ended without a result: " + run.Error;
        }
        var unattacked = campaign.Unattacked!.SecondsFor(run.Epochs);
        var bits = campaign.ReferenceSha.TryGetValue(run.Epochs, out var reference)
            ? (reference == run.WeightsSha256 ? "same bits as unattacked" : "**different bits**") : "no reference";
        return string.Create(CultureInfo.InvariantCulture, $"trained {seconds:0.0} s against {unattacked:0.0} s unattacked ({seconds / unattacked:0.00}x), {bits}");
    }

    private static string Health(IReadOnlyList<HealthProbe> probes)
    {
        var calls = probes.Where(p => p.Kind == HealthProbeKind.Call).ToList();
        var cli = probes.Where(p => p.Kind == HealthProbeKind.Cli).ToList();
        var slowest = calls.Count == 0 ? "-" : calls.Max(p => p.Took).TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
        var failedCalls = calls.Count(p => !p.Serving || p.Took > HealthWatch.Limit);
        return $"{slowest}{(failedCalls > 0 ? $" ({failedCalls}/{calls.Count} failed)" : "")}, {cli.Count(p => p.Serving)}/{cli.Count}";
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
