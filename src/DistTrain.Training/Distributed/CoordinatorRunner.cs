using DistTrain.Core;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.Observability;
using DistTrain.Training.ParameterShards;
using DistTrain.Transport;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Distributed;

/// <summary>
/// The coordinator: loads the dataset, serves Trainer.Join, waits for --min-workers, then runs
/// the same training loop as <c>train</c> with the shards computed on the workers. With
/// --parameter-shards P &gt; 1 it also serves the parameter servers' registry and its own slice,
/// and the loop steps through the slices' owners.
/// </summary>
public static class CoordinatorRunner
{
    /// <summary>How often workers say they are alive.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    public static async Task<RunResult> RunAsync(TrainingConfiguration config, CoordinatorOptions coordinator, IGrpcTransport transport, GrpcServerOptions server,
        ILoggerFactory loggers, IRunObserver observer, CancellationToken stopping)
    {
        var logger = loggers.CreateLogger("coordinator");
        if (coordinator.MinWorkers < 1)
        {
            throw new OptionsException($"--min-workers: {coordinator.MinWorkers} must be at least 1");
        }
        if (coordinator.MaxWorkers < coordinator.MinWorkers)
        {
            throw new OptionsException($"--max-workers: {coordinator.MaxWorkers} is below --min-workers {coordinator.MinWorkers}");
        }
        if (!(coordinator.TaskTimeoutSeconds > 0))
        {
            throw new OptionsException($"--task-timeout: {coordinator.TaskTimeoutSeconds} must be a positive number of seconds");
        }
        if (!(coordinator.HeartbeatTimeoutSeconds > 2 * HeartbeatInterval.TotalSeconds))
        {
            throw new OptionsException($"--heartbeat-timeout: {coordinator.HeartbeatTimeoutSeconds} must be more than {2 * HeartbeatInterval.TotalSeconds} seconds (two heartbeats)");
        }
        var layout = new ParameterLayout(config.Network);
        // Checked before the dataset loads, so a bad value stops the run at once.
        var plan = SlicePlan.Cut(layout.Count, coordinator.ParameterShards);
        var data = await DatasetSource.LoadAsync(config, logger, stopping);
        config.CheckAgainst(data);

        var pool = new WorkerPool(coordinator.MaxWorkers, logger);
        if (!(coordinator.SpeculationFactor >= 1) || double.IsInfinity(coordinator.SpeculationFactor))
        {
            throw new OptionsException($"--speculation-factor: {coordinator.SpeculationFactor} must be a number of at least 1 (times the 95th percentile of recent shard round trips)");
        }
        var faults = new FaultSettings(TimeSpan.FromSeconds(coordinator.TaskTimeoutSeconds), TimeSpan.FromSeconds(coordinator.HeartbeatTimeoutSeconds), coordinator.Speculate, coordinator.SpeculationFactor);
        var sharded = plan.Length > 1;
        ShardedParameterStore? store = null;
        List<ServerServiceDefinition> services = [];
        IWeightRoute? route = null;
        if (sharded)
        {
            var servers = new ParameterServerPool(plan.Length - 1, logger);
            var ownSlice = new ParameterServerService(logger);
            store = new ShardedParameterStore(config, layout, plan, servers, ownSlice, HeartbeatInterval, logger, observer);
            route = new SliceRoute(() => store.Locations);
            services.Add(new ParameterServerRegistryService(servers, TimeSpan.FromSeconds(coordinator.HeartbeatTimeoutSeconds), logger).Definition);
            services.Add(ownSlice.Definition);
        }
        await using var executor = new RemoteShardExecutor(pool, layout.Count, config.WirePrecision, faults, logger, observer, route);
        var trainer = new TrainerService(pool, config.Network, config.WirePrecision, HeartbeatInterval, logger, slicePulls: sharded);
        services.Insert(0, trainer.Definition);
        server.ListenUrl = coordinator.Listen;
        // A slice's weights and state (up to two Adam moments) travel in one message to and from its server.
        var needed = MessageSizing.ForParameters(sharded ? 3 * layout.Count : layout.Count);
        server.MaxReceiveMessageSize = Math.Max(server.MaxReceiveMessageSize, needed);
        server.MaxSendMessageSize = Math.Max(server.MaxSendMessageSize, needed);
        await using var host = await transport.StartServerAsync(server, services, loggers, stopping);
        logger.LogInformation("Coordinator listening on {Address} ({Transport} transport); {Configuration}; min workers {MinWorkers}, {Threads} compute threads, out {Out}",
            host.Address, TransportKinds.Name(transport.Kind), config.Describe(), coordinator.MinWorkers, config.Threads, Path.GetFullPath(config.OutputDirectory));
        if (string.IsNullOrEmpty(server.AuthToken))
        {
            logger.LogWarning("No --auth-token: anyone who can reach {Address} can join as a worker and receive the model. Set the same --auth-token (Security__AuthToken) on the coordinator and every worker",
                host.Address);
        }

        RunResult result;
        var ending = "training complete";
        // A parameter server that is stopping stops the run as a signal would, while it still serves its slice for the checkpoint.
        using var stoppingOrLeaving = store is null ? null : CancellationTokenSource.CreateLinkedTokenSource(stopping, store.Leaving);
        try
        {
            await executor.WaitForWorkersAsync(coordinator.MinWorkers, stopping);
            var loop = new TrainingLoop(config, data, executor, logger) { Observer = observer, Parameters = store ?? (IParameterStore)new LocalParameterStore() };
            result = await loop.RunAsync(stoppingOrLeaving?.Token ?? stopping);
        }
        catch (Exception e) when (e is StateLostException or TrainingDivergedException)
        {
            ending = e is StateLostException ? "a parameter server was lost" : "training diverged";
            throw;
        }
        finally
        {
            if (stopping.IsCancellationRequested)
            {
                ending = "coordinator stopping";
            }
            else if (store is not null && store.Leaving.IsCancellationRequested)
            {
                ending = "a parameter server is stopping";
            }
            executor.Shutdown(ending);
            store?.Shutdown(ending);
            await host.StopAsync(TimeSpan.FromSeconds(2));
        }
        return result;
    }
}
