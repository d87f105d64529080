using System.CommandLine;
using DistTrain.Cli.Hosting;
using DistTrain.Training.Configuration;
using DistTrain.Training.Distributed;
using Microsoft.Extensions.Configuration;

namespace DistTrain.Cli.Commands;

/// <summary>disttrain coordinator: serve Trainer.Join, wait for workers, train with them.</summary>
public static class CoordinatorCommand
{
    public static Command Create()
    {
        var defaults = new CoordinatorOptions();
        var training = new TrainingOptionSet("Shards per mini-batch; fixes the arithmetic, whatever the number of workers", "--min-workers")
            .With("--wire-precision", "fp32 or bf16 (halves the traffic; weights then differ from train's)", new TrainingOptions().WirePrecision, (o, v) => o.WirePrecision = v);
        var listen = new Option<string?>("--listen") { Description = $"Address to serve on [default: {defaults.Listen}]" };
        var minWorkers = new Option<int?>("--min-workers") { Description = $"Workers to wait for before training [default: {defaults.MinWorkers}]" };
        var parameterShards = ParameterShardsOption(defaults);
        var maxWorkers = new Option<int?>("--max-workers") { Description = $"Most workers accepted [default: {defaults.MaxWorkers}]" };
        var taskTimeout = new Option<double?>("--task-timeout") { Description = $"Seconds before an unanswered shard is recomputed elsewhere [default: {defaults.TaskTimeoutSeconds}]" };
        var heartbeatTimeout = new Option<double?>("--heartbeat-timeout") { Description = $"Seconds of silence (no heartbeat) before a worker is dropped [default: {defaults.HeartbeatTimeoutSeconds}]" };
        var speculate = new Option<bool?>("--speculate") { Description = $"Also give a late shard to an idle worker; the first answer wins [default: {(defaults.Speculate ? "true" : "false")}]" };
        var speculationFactor = new Option<double?>("--speculation-factor")
        {
            Description = $"A shard is late after this many times the 95th percentile of the other workers' recent shard round trips [default: {defaults.SpeculationFactor}]",
        };
        var security = new SecurityOptions();
        var transport = new TransportOption();
        var observability = new ObservabilityOptionSet("off");
        var logFormat = DisttrainCommands.LogFormatOption();
        var command = new Command("coordinator", "Run the coordinator: workers join it, it trains with them")
        {
            listen, minWorkers, parameterShards, maxWorkers, taskTimeout, heartbeatTimeout, speculate, speculationFactor, logFormat,
        };
        training.AddTo(command);
        security.AddServerOptions(command);
        transport.AddTo(command);
        observability.AddTo(command);
        command.SetAction((parse, cancellationToken) => CommandErrors.Guard(async () =>
        {
            var configuration = CliHost.BuildConfiguration();
            var coordinator = new CoordinatorOptions();
            configuration.GetSection(CoordinatorOptions.Section).Bind(coordinator);
            coordinator.Listen = parse.GetValue(listen) ?? coordinator.Listen;
            coordinator.MinWorkers = parse.GetValue(minWorkers) ?? coordinator.MinWorkers;
            coordinator.ParameterShards = parse.GetValue(parameterShards) ?? coordinator.ParameterShards;
            coordinator.MaxWorkers = parse.GetValue(maxWorkers) ?? coordinator.MaxWorkers;
            coordinator.TaskTimeoutSeconds = parse.GetValue(taskTimeout) ?? coordinator.TaskTimeoutSeconds;
            coordinator.HeartbeatTimeoutSeconds = parse.GetValue(heartbeatTimeout) ?? coordinator.HeartbeatTimeoutSeconds;
            coordinator.Speculate = parse.GetValue(speculate) ?? coordinator.Speculate;
            coordinator.SpeculationFactor = parse.GetValue(speculationFactor) ?? coordinator.SpeculationFactor;
            ServerAddress.ToListen("--listen", coordinator.Listen, "http://0.0.0.0:50051");
            if (coordinator.ParameterShards < 1)
            {
                throw new OptionsException($"--parameter-shards: {coordinator.ParameterShards} must be at least 1 (1: every parameter on the coordinator)");
            }
            var config = TrainingConfiguration.From(training.Resolve(parse, configuration), defaultShards: coordinator.MinWorkers);
            var watching = observability.Resolve(parse, configuration, dashboardFallback: null);
            using var loggers = CliHost.CreateLoggerFactory(parse.GetValue(logFormat) ?? configuration["Logging:Format"], configuration);
            await using var observation = CoordinatorObservation.Start(watching, loggers, loggers.CreateLogger("coordinator"), cancellationToken);
            try
            {
                await CoordinatorRunner.RunAsync(config, coordinator, transport.Create(parse, configuration), security.ServerOptions(parse, configuration), loggers, observation.Observer, observation.Stopping);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Only the dashboard's failure to start cancels the run's token on its own; it says why below.
            }
            observation.ThrowIfFailed();
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>--parameter-shards of `coordinator` and `run` (configuration Coordinator__ParameterShards).</summary>
    public static Option<int?> ParameterShardsOption(CoordinatorOptions defaults) => new("--parameter-shards")
    {
        Description = "Slices of the weights and optimizer state: the coordinator owns one, each of P - 1 `disttrain parameter-server` processes another; "
            + $"workers pull weights from and push gradients to the owners; the weights stay those of 1 (also Coordinator__ParameterShards) [default: {defaults.ParameterShards}]",
    };
}
