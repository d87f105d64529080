using System.CommandLine;
using DistTrain.Cli.Hosting;
using DistTrain.Dashboard;
using DistTrain.Core.Kernels;
using DistTrain.Rpc;
using DistTrain.Training.Configuration;
using DistTrain.Training.Distributed;
using DistTrain.Training.Observability;
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
        var metrics = new Option<string?>("--metrics") { Description = "Serve this worker's Prometheus /metrics at http://HOST:PORT (also Worker__Metrics) [default: off]" };
        var security = new SecurityOptions();
        var logFormat = DisttrainCommands.LogFormatOption();
        var command = new Command("worker", "Run a worker: join the coordinator and compute shards") { coordinatorUrl, listen, name, threads, retry, metrics, logFormat };
        security.AddClientOptions(command);
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
            if (!Uri.TryCreate(options.Coordinator, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new OptionsException($"--coordinator: '{options.Coordinator}' is not an http:// or https:// address, e.g. --coordinator http://127.0.0.1:50051");
            }
            if (options.Threads < 0)
            {
                throw new OptionsException($"--threads: {options.Threads} must be 0 (all cores) or more");
            }
            Gemm.MaxThreads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
            using var loggers = CliHost.CreateLoggerFactory(parse.GetValue(logFormat) ?? configuration["Logging:Format"]);
            var logger = loggers.CreateLogger("worker");

            var health = security.ServerOptions(parse, configuration);
            health.ListenUrl = parse.GetValue(listen) ?? configuration["Worker:Listen"] ?? "http://127.0.0.1:0";
            await using var server = await GrpcServer.StartAsync(health, new ServiceRegistry(), loggers, cancellationToken);
            logger.LogInformation(Gemm.MaxThreads == 1
                    ? "Worker {Name} ({Threads} thread) health endpoint on {Address}; joining {Coordinator}"
                    : "Worker {Name} ({Threads} threads) health endpoint on {Address}; joining {Coordinator}",
                options.Name, Gemm.MaxThreads, server.Address, options.Coordinator);
            await using var metricsHost = string.IsNullOrWhiteSpace(options.Metrics) ? null
                : await ObservabilityHost.StartAsync("--metrics", options.Metrics, loggers, s => s.AddMetricsExport(), app => app.MapMetrics(), cancellationToken);
            if (metricsHost is not null)
            {
                logger.LogInformation("Prometheus metrics on {MetricsAddress}", $"{metricsHost.Address.TrimEnd('/')}/metrics");
            }
            var runner = new WorkerRunner(options, security.ChannelOptions(parse, configuration, MaxMessageBytes), logger,
                metricsHost is null ? null : new WorkerMetrics(metricsHost.Services.MeterFactory()));
            var exit = await runner.RunAsync(cancellationToken);
            await server.StopAsync(TimeSpan.FromSeconds(1));
            return exit;
        }));
        return command;
    }
}
