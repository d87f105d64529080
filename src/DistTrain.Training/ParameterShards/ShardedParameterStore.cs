using System.Diagnostics;
using DistTrain.Core;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.Observability;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// The coordinator's side of parameter shards: the weights and the optimizer state cut into the
/// slices of <see cref="SlicePlan"/>, slice 0 owned here (served to workers by
/// <paramref name="local"/>) and each other by a parameter server. It waits for the servers, hands
/// each its slice, confirms each step by every owner's report of the next version (one iteration
/// late, see <see cref="StepAsync"/>), and brings the slices in whole for a checkpoint or the
/// summary. Only the training loop's thread calls it.
/// </summary>
public sealed class ShardedParameterStore(TrainingConfiguration config, ParameterLayout layout, IReadOnlyList<ParameterSlice> plan,
    ParameterServerPool servers, ParameterServerService local, TimeSpan heartbeatInterval, ILogger logger, IRunObserver observer)
    : IParameterStore, ISliceReports
{
    private static readonly TimeSpan WaitingReminder = TimeSpan.FromSeconds(5);
    private readonly OwnerSession?[] owners = new OwnerSession?[plan.Count];
    private readonly long[] versions = new long[plan.Count];
    private SliceOwner? own;

    public bool HoldsStateElsewhere => true;

    public CancellationToken Failed => servers.Lost;

    /// <summary>Cancelled when a parameter server is stopping: the run should stop (with a checkpoint) while it still serves.</summary>
    public CancellationToken Leaving => servers.Leaving;

    /// <summary>Where each slice lives, for the workers; null until <see cref="OpenAsync"/> is done.</summary>
    public IReadOnlyList<SliceLocation>? Locations { get; private set; }

    public async Task OpenAsync(TrainingState state, ParameterUpdate update, CancellationToken cancellationToken)
    {
        using var failedOrStopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, servers.Lost);
        var token = failedOrStopping.Token;
        await WaitForServersAsync(token);

        var step = StepRuleMapping.ToWire(config, update.TotalIterations);
        var assigned = servers.Snapshot();
        for (var i = 1; i < plan.Count; i++)
        {
            var server = assigned[i - 1];
            server.Slice = i;
            owners[i] = server;
            server.Send(new OwnerOrder { Assignment = Assignment(plan[i], state, step) });
        }
        own = SliceOwner.Create(plan[0], config, layout, update.TotalIterations, state.Version, state.Optimizer.Steps,
            plan[0].WeightsAndState(state.Parameters, state.Optimizer), this);
        local.Serve(own);
        Array.Fill(versions, state.Version);

        var loaded = new bool[plan.Count];
        loaded[0] = true;
        while (loaded.Contains(false))
        {
            if (await NextAsync(token) is OwnerEvent.Loaded { } l && l.Slice > 0 && l.Slice < plan.Count && l.Version == state.Version)
            {
                loaded[l.Slice] = true;
            }
        }
        Locations = [.. plan.Select(s => new SliceLocation
        {
            Slice = (uint)s.Index,
            Offset = (uint)s.Offset,
            Length = (uint)s.Length,
            Address = owners[s.Index]?.Address ?? "",
        })];
        foreach (var slice in plan)
        {
            logger.LogInformation("Parameter {Slice} ({Parameters} parameters) is owned by {Owner}",
                slice, slice.Length, owners[slice.Index]?.ToString() ?? "the coordinator");
        }
    }

    public ModelVersion Model(TrainingState state) => new(state.Version, ReadOnlyMemory<float>.Empty);

    public async ValueTask StepAsync(TrainingState state, IReadOnlyList<ShardOutcome> shards, long iteration, CancellationToken cancellationToken)
    {
        if (iteration != state.Version)
        {
            throw new InvalidOperationException($"iteration {iteration} is not weight version {state.Version}: the owners step by version");
        }
        // Every shard's result is in, so every owner holds every gradient of this step and takes it
        // on its own. Waiting here for their reports of it would add a trip over their busiest links
        // (the weights going out) to every iteration: the reports of the step before are waited for
        // instead, so the owners are never more than one step ahead of what is confirmed.
        using var failedOrStopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, servers.Lost);
        await ReachedAsync(state.Version, failedOrStopping.Token);
    }

    /// <summary>Waits until every owner reported <paramref name="version"/>, applying the events that arrive meanwhile.</summary>
    private async Task ReachedAsync(long version, CancellationToken cancellationToken)
    {
        while (versions.Any(v => v < version))
        {
            await NextAsync(cancellationToken);
        }
    }

    public async ValueTask SyncAsync(TrainingState state, CancellationToken cancellationToken)
    {
        var mine = own ?? throw new InvalidOperationException("the store is not open");
        using var failedOrStopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, servers.Lost);
        var token = failedOrStopping.Token;
        await ReachedAsync(state.Version, token);
        foreach (var server in owners.OfType<OwnerSession>())
        {
            server.Send(new OwnerOrder { StateRequest = new StateRequest { Version = (ulong)state.Version } });
        }
        var fullState = new float[state.Optimizer.StateVectors * layout.Count];
        var (values, steps, problem) = mine.State(state.Version);
        if (values is null)
        {
            throw new InvalidOperationException($"the coordinator's {problem}");
        }
        plan[0].Scatter(values, state.Parameters, fullState, layout.Count);

        var given = new bool[plan.Count];
        given[0] = true;
        while (given.Contains(false))
        {
            if (await NextAsync(token) is not OwnerEvent.StateGiven { } answer)
            {
                continue;
            }
            try
            {
                if (answer.Slice <= 0 || answer.Slice >= plan.Count || answer.Version != state.Version)
                {
                    continue;
                }
                if (answer.Problem is not null || answer.OptimizerSteps != steps)
                {
                    throw new InvalidOperationException(
                        $"{owners[answer.Slice]} could not give its state at weight version {state.Version}: {answer.Problem ?? $"{answer.OptimizerSteps} optimizer steps, expected {steps}"}");
                }
                var floats = new float[answer.Values.Length / sizeof(float)];
                if (!TensorCodec.TryDecode(answer.Values.Span, WirePrecisionKind.Fp32, floats))
                {
                    throw new InvalidOperationException($"{owners[answer.Slice]} sent a state of {answer.Values.Length} bytes");
                }
                plan[answer.Slice].Scatter(floats, state.Parameters, fullState, layout.Count);
                given[answer.Slice] = true;
            }
            finally
            {
                ReceivedTensor.Release(answer.Values);
            }
        }
        state.Optimizer.Restore(fullState, steps);
    }

    public void ThrowIfFailed()
    {
        if (servers.Divergence is { } problem)
        {
            throw new TrainingDivergedException(problem);
        }
        if (servers.LossReason is { } reason)
        {
            throw new StateLostException($"{reason}; the run cannot go on without its slice of the weights and optimizer state");
        }
    }

    /// <summary>Tells every parameter server the run is over and stops serving the coordinator's slice.</summary>
    public void Shutdown(string reason)
    {
        local.Serve(null);
        foreach (var server in servers.Snapshot())
        {
            server.Send(new OwnerOrder { Shutdown = new Shutdown { Reason = reason } });
            server.Close();
        }
    }

    void ISliceReports.Stepped(int slice, long version) => servers.Post(new OwnerEvent.Stepped(slice, version));

    void ISliceReports.Diverged(int slice, long version, string problem) => servers.Post(new OwnerEvent.Diverged(slice, version, problem));

    private async Task WaitForServersAsync(CancellationToken cancellationToken)
    {
        var needed = servers.Capacity;
        logger.LogInformation(needed == 1 ? "Waiting for {Count} parameter server to join (--parameter-shards {Shards})" : "Waiting for {Count} parameter servers to join (--parameter-shards {Shards})",
            needed, plan.Count);
        var lastLog = Stopwatch.StartNew();
        while (servers.Count < needed)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(WaitingReminder);
            try
            {
                await NextAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            if (servers.Count < needed && lastLog.Elapsed >= WaitingReminder)
            {
                logger.LogInformation("Waiting for parameter servers: {Connected} of {Count} connected", servers.Count, needed);
                lastLog.Restart();
            }
        }
    }

    /// <summary>The next event, applied to what this store knows; throws when a slice's owner is lost or a step diverged.</summary>
    private async Task<OwnerEvent> NextAsync(CancellationToken cancellationToken)
    {
        OwnerEvent e;
        try
        {
            e = await servers.Events.ReadAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (servers.Lost.IsCancellationRequested)
        {
            ThrowIfFailed();
            throw;
        }
        switch (e)
        {
            case OwnerEvent.Joined joined:
                observer.ParameterServerJoined(joined.Server.Name, DateTime.UtcNow);
                break;
            case OwnerEvent.Left left:
                observer.ParameterServerLeft(left.Server.Name, left.Reason, DateTime.UtcNow);
                ThrowIfFailed();
                break;
            case OwnerEvent.Stepped stepped when stepped.Slice >= 0 && stepped.Slice < plan.Count:
                versions[stepped.Slice] = Math.Max(versions[stepped.Slice], stepped.Version);
                break;
            case OwnerEvent.Diverged diverged:
                throw new TrainingDivergedException(diverged.Problem);
        }
        return e;
    }

    private SliceAssignment Assignment(ParameterSlice slice, TrainingState state, StepRule step)
    {
        var values = slice.WeightsAndState(state.Parameters, state.Optimizer);
        return new SliceAssignment
        {
            Slice = (uint)slice.Index,
            Offset = (uint)slice.Offset,
            Length = (uint)slice.Length,
            Model = ModelSpecMapping.ToWire(config.Network),
            Rule = step,
            Shards = (uint)config.Shards,
            Precision = TensorCodec.ToWire(config.WirePrecision),
            Version = (ulong)state.Version,
            OptimizerSteps = (ulong)state.Optimizer.Steps,
            HeartbeatIntervalMs = (uint)heartbeatInterval.TotalMilliseconds,
            Values = TensorCodec.Fp32Bytes(values),
        };
    }
}
