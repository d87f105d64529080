using System.CommandLine;
using DistTrain.Cli.Hosting;
using DistTrain.Dashboard;
using DistTrain.Training.Configuration;
using DistTrain.Training.Distributed;
using DistTrain.Training.Observability;
using DistTrain.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DistTrain.Cli.Commands;

/// <summary>disttrain worker: join a coordinator and compute shards until the run ends.</summary>
public static class WorkerCommand
{
    private const int MaxMessageBytes = 256 * 1024 * 1024;

    public static Command Create()
    {
        var coordinatorUrl = new Option<string?>("--coordinator") { Description = "Coordinator address, e.g. http://coordinator:50051 (also Worker__Coordinator)" };
        var listen = new Option<string?>("--listen") { Description = "Address of this worker's health endpoint [default: http://127.0.0.1:0, a free port]" };
        var name = new Option<string?>("--name") { Description = "Name in the coordinator's logs [default: host name and process id]" };
        var threads = new Option<int?>("--threads") { Description = "Compute threads (0 = all cores) [default: 0]" };
        var retry = new Option<double?>("--retry-seconds") { Description = "Seconds between attempts to reach the coordinator [default: 1]" };
        var giveUp = new Option<double?>("--give-up-after") { Description = "Exit with an error when the coordinator has been unreachable this many seconds [default: 0, keep waiting]; also Worker__GiveUpAfterSeconds" };
        var metrics = new Option<string?>("--metrics") { Description = "Serve this worker's Prometheus /metrics at http://HOST:PORT (also Worker__Metrics) [default: off]" };
        var security = new SecurityOptions();
        var transport = new TransportOption();
        var logFormat = DisttrainCommands.LogFormatOption();
        var command = new Command("worker", "Run a worker: join the coordinator and compute shards") { coordinatorUrl, listen, name, threads, retry, giveUp, metrics, logFormat };
        security.AddClientOptions(command);
        transport.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var configuration = CliHost.BuildConfiguration();
            var options = new WorkerOptions();
            configuration.GetSection(WorkerOptions.Section).Bind(options);
            options.Coordinator = parse.GetValue(coordinatorUrl) ?? options.Coordinator;
            options.Name = parse.GetValue(name) ?? options.Name;
            options.Threads = parse.GetValue(threads) ?? options.Threads;
            options.RetrySeconds = parse.GetValue(retry) ?? options.RetrySeconds;
            options.Metrics = parse.GetValue(metrics) ?? options.Metrics;
            options.GiveUpAfterSeconds = parse.GetValue(giveUp) ?? options.GiveUpAfterSeconds;
            if (options.GiveUpAfterSeconds < 0 || !double.IsFinite(options.GiveUpAfterSeconds))
            {
                throw new OptionsException($"--give-up-after: {options.GiveUpAfterSeconds} must be 0 (keep waiting) or a positive number of seconds");
            }
            var grpc = transport.Create(parse, configuration);
            ServerAddress.ToConnect("--coordinator", options.Coordinator, "http://127.0.0.1:50051");
            options.Threads = ComputeThreads.Resolve(options.Threads);
            using var loggers = CliHost.CreateLoggerFactory(parse.GetValue(logFormat) ?? configuration["Logging:Format"], configuration);
            var logger = loggers.CreateLogger("worker");

            var health = security.ServerOptions(parse, configuration);
            health.ListenUrl = ServerAddress.ToListen("--listen", parse.GetValue(listen) ?? configuration["Worker:Listen"] ?? "http://127.0.0.1:0", "http://127.0.0.1:50052");
            await using var server = await grpc.StartServerAsync(health, [], loggers, cancellationToken);
            logger.LogInformation(options.Threads == 1
                    ? "Worker {Name} ({Threads} thread, {Transport} transport) health endpoint on {Address}; joining {Coordinator}"
                    : "Worker {Name} ({Threads} threads, {Transport} transport) health endpoint on {Address}; joining {Coordinator}",
                options.Name, options.Threads, TransportKinds.Name(grpc.Kind), server.Address, options.Coordinator);
            await using var metricsHost = string.IsNullOrWhiteSpace(options.Metrics) ? null
                : await ObservabilityHost.StartAsync("--metrics", options.Metrics, loggers, s => s.AddMetricsExport(), app => app.MapMetrics(), cancellationToken);
            if (metricsHost is not null)
            {
                logger.LogInformation("Prometheus metrics on {MetricsAddress}", $"{metricsHost.Address.TrimEnd('/')}/metrics");
            }
            var runner = new WorkerRunner(options, grpc, security.ChannelOptions(parse, configuration, MaxMessageBytes), logger,
                metricsHost is null ? null : new WorkerMetrics(metricsHost.Services.MeterFactory()));
            var exit = await runner.RunAsync(cancellationToken);
            await server.StopAsync(TimeSpan.FromSeconds(1));
            return exit;
        }));
        return command;
    }
}
