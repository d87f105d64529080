using System.Diagnostics.Metrics;
using DistTrain.Cli.Commands;
using DistTrain.Dashboard;
using DistTrain.Training.Configuration;
using DistTrain.Training.Observability;
using DistTrain.Training.Observability.Timeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistTrain.Cli.Hosting;

/// <summary>
/// Everything that watches a coordinator's run, started before it and stopped after it: the
/// straggler report (always), the dashboard with /metrics (when it has an address), and the timeline
/// (when it has a file; closed on every way out, so a stopped run leaves valid JSON).
/// </summary>
/// <remarks>
/// The dashboard's web host starts in the background while the coordinator loads its data: its
/// start-up (JIT of the web stack) would otherwise delay the first iteration. When it cannot
/// start (the port is taken), <see cref="Stopping"/> is cancelled and <see cref="ThrowIfFailed"/>
/// reports why, so the run still ends with one line naming the option.
/// </remarks>
public sealed class CoordinatorObservation : IAsyncDisposable
{
    private readonly CancellationTokenSource stopping;
    private readonly ILogger logger;
    private readonly ServiceProvider? meters;
    private readonly Task<ObservabilityHost?> dashboard;
    private readonly TimelineRecorder? timeline;
    private readonly string? timelineFile;
    private Exception? failure;

    private CoordinatorObservation(ObservabilitySettings settings, ILoggerFactory loggers, ILogger logger, CancellationToken cancellationToken)
    {
        this.logger = logger;
        stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var observers = new List<IRunObserver> { new StragglerReport(settings.StragglerFactor, logger) };
        dashboard = Task.FromResult<ObservabilityHost?>(null);
        if (settings.DashboardUrl is { } url)
        {
            ObservabilityHost.CheckUrl("--dashboard", url);
            var state = new RunState(settings.StragglerFactor);
            // The instruments exist from the start; the exporter finds the meter by name once it runs.
            meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
            observers.Add(state);
            observers.Add(new TrainingMetrics(meters.GetRequiredService<IMeterFactory>()));
            dashboard = StartDashboardAsync(url, state, loggers);
        }
        if (settings.TimelineFile is { } path)
        {
            timelineFile = Path.GetFullPath(path);
            timeline = new TimelineRecorder(OpenTimeline(timelineFile), settings.TimelineIterations, settings.TimelineMaxEvents, DateTime.UtcNow);
            observers.Add(timeline);
            logger.LogInformation("Recording a timeline of the first {Iterations} iterations of each epoch to {Timeline}", settings.TimelineIterations, timelineFile);
        }
        Observer = new RunObservers(observers);
    }

    public IRunObserver Observer { get; }

    /// <summary>The run's token: the command's, also cancelled when the dashboard cannot start.</summary>
    public CancellationToken Stopping => stopping.Token;

    public static CoordinatorObservation Start(ObservabilitySettings settings, ILoggerFactory loggers, ILogger logger, CancellationToken cancellationToken) =>
        new(settings, loggers, logger, cancellationToken);

    /// <summary>Throws the reason the dashboard could not start, if it could not.</summary>
    public void ThrowIfFailed()
    {
        if (Volatile.Read(ref failure) is { } e)
        {
            throw e;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (timeline is not null)
        {
            var events = timeline.Events;
            timeline.Dispose();
            logger.LogInformation("Timeline written to {Timeline} ({Events} events); open it in Perfetto or chrome://tracing", timelineFile, events);
        }
        if (await dashboard is { } host)
        {
            await host.DisposeAsync();
        }
        if (meters is not null)
        {
            await meters.DisposeAsync();
        }
        stopping.Dispose();
    }

    private async Task<ObservabilityHost?> StartDashboardAsync(string url, RunState state, ILoggerFactory loggers)
    {
        try
        {
            var host = await ObservabilityHost.StartAsync("--dashboard", url, loggers, s => s.AddDashboard(state), app => app.MapDashboard(), stopping.Token);
            logger.LogInformation("Dashboard on {DashboardAddress} (Prometheus metrics at {MetricsAddress})", host.Address, $"{host.Address.TrimEnd('/')}/metrics");
            return host;
        }
        catch (Exception e) when (e is OptionsException or OperationCanceledException)
        {
            if (e is OptionsException)
            {
                Volatile.Write(ref failure, e);
                await stopping.CancelAsync();
            }
            return null;
        }
    }

    private static FileStream OpenTimeline(string file)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            return new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OptionsException($"--timeline: cannot write {file}: {e.Message}");
        }
    }
}
