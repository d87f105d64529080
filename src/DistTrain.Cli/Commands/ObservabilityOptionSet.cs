using System.CommandLine;
using DistTrain.Training.Configuration;
using DistTrain.Training.Distributed;
using DistTrain.Training.Observability;
using Microsoft.Extensions.Configuration;

namespace DistTrain.Cli.Commands;

/// <summary>
/// --dashboard, --timeline, --timeline-iterations and --straggler-factor of `coordinator` and `run`,
/// over configuration (Dashboard__Url, Timeline__File, Timeline__IterationsPerEpoch, Coordinator__StragglerFactor).
/// </summary>
public sealed class ObservabilityOptionSet(string dashboardDefault)
{
    private static readonly TimelineOptions TimelineDefaults = new();

    public Option<string?> Dashboard { get; } = new("--dashboard")
    {
        Description = $"Serve the live dashboard and Prometheus /metrics at http://HOST:PORT, or 'off' (also Dashboard__Url) [default: {dashboardDefault}]",
    };

    public Option<string?> Timeline { get; } = new("--timeline")
    {
        Description = "Write a Chrome trace of the run to FILE; open it in Perfetto or chrome://tracing (also Timeline__File)",
    };

    public Option<int?> TimelineIterations { get; } = new("--timeline-iterations")
    {
        Description = $"Iterations the timeline records at the start of each epoch (also Timeline__IterationsPerEpoch) [default: {TimelineDefaults.IterationsPerEpoch}]",
    };

    public Option<double?> StragglerFactor { get; } = new("--straggler-factor")
    {
        Description = $"Name a worker as a straggler when its median shard round trip exceeds this many times the others' median (also Coordinator__StragglerFactor) [default: {new CoordinatorOptions().StragglerFactor}]",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Dashboard);
        command.Options.Add(Timeline);
        command.Options.Add(TimelineIterations);
        command.Options.Add(StragglerFactor);
    }

    /// <summary>The settings, checked; <paramref name="dashboardFallback"/> when neither option nor configuration names a dashboard.</summary>
    public ObservabilitySettings Resolve(ParseResult parse, IConfiguration configuration, string? dashboardFallback)
    {
        var dashboard = new DashboardOptions();
        var timeline = new TimelineOptions();
        var coordinator = new CoordinatorOptions();
        try
        {
            configuration.GetSection(DashboardOptions.Section).Bind(dashboard);
            configuration.GetSection(TimelineOptions.Section).Bind(timeline);
            configuration.GetSection(CoordinatorOptions.Section).Bind(coordinator);
        }
        catch (InvalidOperationException e)
        {
            throw new OptionsException($"configuration (Dashboard, Timeline or Coordinator section): {e.Message}");
        }
        var url = parse.GetValue(Dashboard) ?? (string.IsNullOrWhiteSpace(dashboard.Url) ? dashboardFallback : dashboard.Url);
        if (string.Equals(url, "off", StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(url))
        {
            url = null;
        }
        var file = parse.GetValue(Timeline) ?? timeline.File;
        var settings = new ObservabilitySettings(
            url,
            string.IsNullOrWhiteSpace(file) ? null : file,
            parse.GetValue(TimelineIterations) ?? timeline.IterationsPerEpoch,
            timeline.MaxEvents,
            parse.GetValue(StragglerFactor) ?? coordinator.StragglerFactor);
        if (!(settings.StragglerFactor > 1) || double.IsInfinity(settings.StragglerFactor))
        {
            throw new OptionsException($"--straggler-factor: {settings.StragglerFactor} must be a number above 1 (1.5 names workers half again as slow as the others)");
        }
        if (settings.TimelineIterations < 0)
        {
            throw new OptionsException($"--timeline-iterations: {settings.TimelineIterations} must be 0 or more");
        }
        if (settings.TimelineMaxEvents < 1000)
        {
            throw new OptionsException($"Timeline__MaxEvents: {settings.TimelineMaxEvents} must be at least 1000");
        }
        return settings;
    }
}

/// <summary>What watches a coordinator's run: the dashboard's address (null: off), the timeline file (null: none), the straggler factor.</summary>
public sealed record ObservabilitySettings(string? DashboardUrl, string? TimelineFile, int TimelineIterations, long TimelineMaxEvents, double StragglerFactor);
