namespace DistTrain.Training.Loop;

/// <summary>
/// Where the weights and the optimizer state live and where the step runs: in this process
/// (<see cref="LocalParameterStore"/>), or cut into slices owned by several processes (parameter
/// shards). The training loop keeps the run's position and metrics in its <see cref="TrainingState"/>;
/// the store keeps the numbers current and brings them into that state when they are needed whole.
/// </summary>
public interface IParameterStore
{
    /// <summary>True when part of the state lives in other processes, where it can be lost with them.</summary>
    bool HoldsStateElsewhere { get; }

    /// <summary>Cancelled when the store can no longer step; <see cref="ThrowIfFailed"/> then says why.</summary>
    CancellationToken Failed { get; }

    /// <summary>Starts the run from <paramref name="state"/>'s weights and optimizer state (fresh or resumed).</summary>
    Task OpenAsync(TrainingState state, ParameterUpdate update, CancellationToken cancellationToken);

    /// <summary>The current weights as the shard executor hands them to whoever computes (empty when the workers fetch them elsewhere).</summary>
    ModelVersion Model(TrainingState state);

    /// <summary>
    /// The step from version state.Version to the next, from the shards' gradient sums added in
    /// shard order; throws <see cref="TrainingDivergedException"/> when the gradient is not finite.
    /// </summary>
    ValueTask StepAsync(TrainingState state, IReadOnlyList<ShardOutcome> shards, long iteration, CancellationToken cancellationToken);

    /// <summary>Brings state.Parameters and state.Optimizer to the current version (before a checkpoint or the summary).</summary>
    ValueTask SyncAsync(TrainingState state, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="StateLostException"/> (or <see cref="TrainingDivergedException"/>) once <see cref="Failed"/> is cancelled.</summary>
    void ThrowIfFailed();
}

/// <summary>Part of the weights or the optimizer state is gone (its process was lost); the message names it.</summary>
public sealed class StateLostException(string message) : Exception(message);
