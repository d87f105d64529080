using DistTrain.Cli.Commands;
using DistTrain.Dashboard;
using DistTrain.Training.Configuration;
using DistTrain.Training.Observability;
using DistTrain.Training.Observability.Timeline;
using Microsoft.Extensions.Logging;

namespace DistTrain.Cli.Hosting;

/// <summary>
/// Everything that watches a coordinator's run, started before it and stopped after it: the
/// straggler report (always), the dashboard with /metrics (when it has an address), and the timeline
/// (when it has a file; closed on every way out, so a stopped run leaves valid JSON).
/// </summary>
public sealed class CoordinatorObservation : IAsyncDisposable
{
    private readonly ObservabilityHost? dashboard;
    private readonly TimelineRecorder? timeline;
    private readonly string? timelineFile;
    private readonly ILogger logger;

    private CoordinatorObservation(IRunObserver observer, ObservabilityHost? dashboard, TimelineRecorder? timeline, string? timelineFile, ILogger logger)
    {
        Observer = observer;
        this.dashboard = dashboard;
        this.timeline = timeline;
        this.timelineFile = timelineFile;
        this.logger = logger;
    }

    public IRunObserver Observer { get; }

    public static async Task<CoordinatorObservation> StartAsync(ObservabilitySettings settings, ILoggerFactory loggers, ILogger logger, CancellationToken cancellationToken)
    {
        var observers = new List<IRunObserver> { new StragglerReport(settings.StragglerFactor, logger) };
        ObservabilityHost? dashboard = null;
        if (settings.DashboardUrl is { } url)
        {
            var state = new RunState(settings.StragglerFactor);
            dashboard = await ObservabilityHost.StartAsync("--dashboard", url, loggers, s => s.AddDashboard(state), app => app.MapDashboard(), cancellationToken);
            observers.Add(state);
            observers.Add(new TrainingMetrics(dashboard.Services.MeterFactory()));
            logger.LogInformation("Dashboard on {DashboardAddress} (Prometheus metrics at {MetricsAddress})", dashboard.Address, $"{dashboard.Address.TrimEnd('/')}/metrics");
        }
        TimelineRecorder? timeline = null;
        string? file = null;
        if (settings.TimelineFile is { } path)
        {
            file = Path.GetFullPath(path);
            FileStream stream;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (dashboard is not null)
                {
                    await dashboard.DisposeAsync();
                }
                throw new OptionsException($"--timeline: cannot write {file}: {e.Message}");
            }
            timeline = new TimelineRecorder(stream, settings.TimelineIterations, settings.TimelineMaxEvents, DateTime.UtcNow);
            observers.Add(timeline);
            logger.LogInformation("Recording a timeline of the first {Iterations} iterations of each epoch to {Timeline}", settings.TimelineIterations, file);
        }
        return new CoordinatorObservation(new RunObservers(observers), dashboard, timeline, file, logger);
    }

    public async ValueTask DisposeAsync()
    {
        if (timeline is not null)
        {
            var events = timeline.Events;
            timeline.Dispose();
            logger.LogInformation("Timeline written to {Timeline} ({Events} events); open it in Perfetto or chrome://tracing", timelineFile, events);
        }
        if (dashboard is not null)
        {
            await dashboard.DisposeAsync();
        }
    }
}
