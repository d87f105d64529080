namespace DistTrain.Training.Loop;

/// <summary>The weights and the optimizer state in this process, stepped by <see cref="ParameterUpdate.Apply"/>: every run without parameter shards.</summary>
public sealed class LocalParameterStore : IParameterStore
{
    private ParameterUpdate? update;
    private float[] gradient = [];

    public bool HoldsStateElsewhere => false;

    public CancellationToken Failed => CancellationToken.None;

    public Task OpenAsync(TrainingState state, ParameterUpdate update, CancellationToken cancellationToken)
    {
        this.update = update;
        gradient = new float[state.Parameters.Length];
        return Task.CompletedTask;
    }

    public ModelVersion Model(TrainingState state) => new(state.Version, state.Parameters);

    public ValueTask StepAsync(TrainingState state, IReadOnlyList<ShardOutcome> shards, long iteration, CancellationToken cancellationToken)
    {
        var step = update ?? throw new InvalidOperationException("the store is not open");
        step.Apply(state.Parameters, shards, gradient, iteration);
        return ValueTask.CompletedTask;
    }

    public ValueTask SyncAsync(TrainingState state, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void ThrowIfFailed()
    {
    }
}
