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
            text.AppendLine(CultureInfo.InvariantCulture, $"Attacked training: {campaign.Epochs} epochs; {TrainingTime(campaign)}; bits: {Bits(campaign)}.");
            text.AppendLine();
        }
        text.AppendLine("| attack | survived | health during: slowest Check, `disttrain health` ok | health after | peak RSS MB (before) | CPU after, cores (own) | training speed | log lines | server's reaction | verdict |");
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
                + $"| {(o.TrainingSpeed is { } s ? s.ToString("P0", CultureInfo.InvariantCulture) : "-")} | {o.LogLines} | {Escape(o.Report.ServerReaction)} "
                + $"| {(failures.Count == 0 ? "pass" : "**FAIL**: " + Escape(string.Join("; ", failures)))} |");
        }
        return text.ToString();
    }

    public static void Write(Campaign campaign)
    {
        Directory.CreateDirectory(Repository.ResultsDir);
        File.WriteAllText(Path.Combine(Repository.ResultsDir, $"abuse-{campaign.Target.Name}.md"), Table(campaign));
    }

    /// <summary>Why the training's bits cannot be said to be the unattacked ones; empty when they are.</summary>
    public static IReadOnlyList<string> BitsFailures(Campaign campaign)
    {
        var failures = new List<string>();
        if (campaign.ReferenceSha.Length == 0)
        {
            failures.Add("the unattacked reference run failed: " + campaign.ReferenceError);
        }
        foreach (var run in campaign.Runs)
        {
            var attacks = string.Join(", ", run.Attacks);
            if (run.WeightsSha256 is null)
            {
                failures.Add($"training run {run.Number} (attacks {attacks}) has no result: {run.ReplacedBecause ?? run.Error}");
            }
            else if (run.WeightsSha256 != campaign.ReferenceSha)
            {
                failures.Add($"training run {run.Number} (attacks {attacks}) ended with weights_sha256 {run.WeightsSha256}, the unattacked run with {campaign.ReferenceSha}");
            }
        }
        if (campaign.Runs.Count == 0)
        {
            failures.Add("no training run was started");
        }
        return failures;
    }

    private static string TrainingTime(Campaign campaign)
    {
        var first = campaign.Runs.FirstOrDefault();
        if (first?.Seconds is not { } seconds || campaign.Unattacked is not { } u)
        {
            return "training time: no finished run";
        }
        var unattacked = u.SecondsFor(campaign.Epochs);
        return string.Create(CultureInfo.InvariantCulture, $"training took {seconds:0.0} s against {unattacked:0.0} s unattacked ({seconds / unattacked:0.00}x)");
    }

    private static string Bits(Campaign campaign)
    {
        var failures = BitsFailures(campaign);
        return failures.Count == 0 ? $"same weights_sha256 as unattacked ({campaign.ReferenceSha[..12]}…)" : string.Join("; ", failures);
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
