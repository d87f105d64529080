using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using DistTrain.Cli.Hosting;
using DistTrain.Data;
using DistTrain.Training.Checkpoints;
using DistTrain.Training.Configuration;
using DistTrain.Training.Distributed;
using DistTrain.Training.Outputs;
using DistTrain.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DistTrain.Cli.Commands;

/// <summary>
/// disttrain run --workers N [--parameter-shards P]: a coordinator, N worker processes and P - 1
/// parameter servers on loopback, their logs shown prefixed by process. Exits with the coordinator's status.
/// </summary>
public static class RunCommand
{
    private static readonly TimeSpan StartupWindow = TimeSpan.FromSeconds(15);

    public static Command Create()
    {
        var workers = new Option<int>("--workers") { Description = "Worker processes to start", DefaultValueFactory = _ => 2 };
        var parameterShards = CoordinatorCommand.ParameterShardsOption(new CoordinatorOptions());
        var training = new TrainingOptionSet("Shards per mini-batch; the same shards give the same bits with any worker count", "--workers")
            .With("--wire-precision", "fp32 or bf16 (halves the traffic; weights then differ from train's)", new TrainingOptions().WirePrecision, (o, v) => o.WirePrecision = v);
        var logFormat = DisttrainCommands.LogFormatOption();
        var transport = new TransportOption();
        var observability = new ObservabilityOptionSet("a free loopback port");
        var command = new Command("run", "Train with a coordinator and N worker processes (and P - 1 parameter servers) on this machine") { workers, parameterShards, logFormat };
        training.AddTo(command);
        transport.AddTo(command);
        observability.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var count = parse.GetValue(workers);
            if (count is < 1 or > 64)
            {
                throw new OptionsException($"--workers: {count} must be between 1 and 64");
            }
            var configuration = CliHost.BuildConfiguration();
            var coordinatorDefaults = new CoordinatorOptions();
            configuration.GetSection(CoordinatorOptions.Section).Bind(coordinatorDefaults);
            var slices = parse.GetValue(parameterShards) ?? coordinatorDefaults.ParameterShards;
            if (slices is < 1 or > 64)
            {
                throw new OptionsException($"--parameter-shards: {slices} must be between 1 and 64 (1: every parameter on the coordinator)");
            }
            var resolved = training.Resolve(parse, configuration);
            var config = TrainingConfiguration.From(resolved, defaultShards: count);
            if (config.Resume)
            {
                // Refused here, before a coordinator and workers start only to be told so.
                CheckpointFile.Verify(new RunOutputs(config.OutputDirectory).CheckpointPath, config.Fingerprint());
            }
            var format = parse.GetValue(logFormat) ?? configuration["Logging:Format"];
            using var loggers = CliHost.CreateLoggerFactory(format, configuration);
            var logger = loggers.CreateLogger("run");

            // Fetch once here, so the coordinator does not start its clock on a download.
            if (!DatasetStore.IsPresent(config.Dataset, config.DataDir))
            {
                await DatasetSource.LoadAsync(config, logger, cancellationToken);
            }

            var port = FreeLoopbackPort();
            var address = $"http://127.0.0.1:{port}";
            var threads = resolved.Threads > 0 ? resolved.Threads : Math.Max(1, Environment.ProcessorCount / count);
            var kind = TransportKinds.Name(transport.Resolve(parse, configuration));
            // Checked here so a bad value stops the run before any process starts.
            var dashboard = observability.Resolve(parse, configuration, $"http://127.0.0.1:{FreeLoopbackPort()}").DashboardUrl ?? "off";
            var forwarded = ForwardedArguments(parse, command, workers, parameterShards, transport.Option, observability.Dashboard);
            logger.LogInformation((count, threads) switch
            {
                (1, 1) => "Starting a coordinator on {Address} and {Workers} worker with {Threads} thread",
                (1, _) => "Starting a coordinator on {Address} and {Workers} worker with {Threads} threads",
                (_, 1) => "Starting a coordinator on {Address} and {Workers} workers with {Threads} thread each",
                _ => "Starting a coordinator on {Address} and {Workers} workers with {Threads} threads each",
            }, address, count, threads);
            if (dashboard != "off")
            {
                logger.LogInformation("Dashboard: {Dashboard}", dashboard);
            }
            if (slices > 1)
            {
                logger.LogInformation(slices == 2 ? "Parameter shards: the coordinator and {Servers} parameter server own a slice each" : "Parameter shards: the coordinator and {Servers} parameter servers own a slice each",
                    slices - 1);
            }

            var children = new List<ChildProcess>();
            try
            {
                var invariant = System.Globalization.CultureInfo.InvariantCulture;
                var coordinator = ChildProcess.Start("coordinator",
                    ["coordinator", "--listen", address, "--transport", kind, "--min-workers", count.ToString(invariant), "--parameter-shards", slices.ToString(invariant),
                        "--dashboard", dashboard, .. forwarded]);
                children.Add(coordinator);
                for (int i = 1; i < slices; i++)
                {
                    string[] serverArgs = ["parameter-server", "--coordinator", address, "--listen", "http://127.0.0.1:0", "--transport", kind, "--name", $"ps-{i}",
                        "--give-up-after", "60", "--retry-seconds", "0.2"];
                    if (format is not null)
                    {
                        serverArgs = [.. serverArgs, "--log-format", format];
                    }
                    children.Add(ChildProcess.Start($"ps-{i}", serverArgs));
                }
                for (int i = 1; i <= count; i++)
                {
                    // The coordinator is a sibling process: if it is not up within a minute, it is not coming.
                    string[] workerArgs = ["worker", "--coordinator", address, "--transport", kind, "--name", $"worker-{i}",
                        "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--give-up-after", "60", "--retry-seconds", "0.2"];
                    if (format is not null)
                    {
                        workerArgs = [.. workerArgs, "--log-format", format];
                    }
                    children.Add(ChildProcess.Start($"worker-{i}", workerArgs));
                }
                return await SuperviseAsync(coordinator, children, logger, cancellationToken);
            }
            finally
            {
                await Task.WhenAll(children.Select(c => c.StopAsync(TimeSpan.FromSeconds(10))));
                foreach (var child in children)
                {
                    child.Dispose();
                }
            }
        }));
        return command;
    }

    /// <summary>Waits for the coordinator; stops everything when a child fails right at start.</summary>
    private static async Task<int> SuperviseAsync(ChildProcess coordinator, List<ChildProcess> children, ILogger logger, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var done = coordinator.WaitAsync(CancellationToken.None);
        while (!done.IsCompleted)
        {
            await Task.WhenAny(done, Task.Delay(500, CancellationToken.None));
            if (cancellationToken.IsCancellationRequested)
            {
                logger.LogInformation("Stopping: the coordinator writes a checkpoint first");
                await coordinator.StopAsync(TimeSpan.FromSeconds(9));
                break;
            }
            var failed = children.FirstOrDefault(c => c != coordinator && c.HasExited && c.ExitCode != 0);
            if (failed is not null && DateTime.UtcNow - started < StartupWindow)
            {
                logger.LogError("{Process} failed to start (exit code {ExitCode}); stopping the run", failed.Name, failed.ExitCode);
                await coordinator.StopAsync(TimeSpan.FromSeconds(9));
                return ExitCodes.Failure;
            }
        }
        await done;
        logger.LogInformation("Coordinator exited with code {ExitCode}", coordinator.ExitCode);
        return coordinator.ExitCode;
    }

    /// <summary>The options the user gave `run`, minus <paramref name="kept"/> (those `run` passes itself), for the coordinator's command line.</summary>
    private static List<string> ForwardedArguments(ParseResult parse, Command command, params Option[] kept)
    {
        var forwarded = new List<string>();
        foreach (var option in command.Options)
        {
            if (kept.Contains(option) || parse.GetResult(option) is not { Implicit: false } result)
            {
                continue;
            }
            forwarded.Add(option.Name);
            forwarded.AddRange(result.Tokens.Select(t => t.Value));
        }
        return forwarded;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
