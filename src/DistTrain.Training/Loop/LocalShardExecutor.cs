using DistTrain.Core;
using DistTrain.Data;

namespace DistTrain.Training.Loop;

/// <summary>Computes every shard in this process, one after another, each on <paramref name="threads"/> threads.</summary>
public sealed class LocalShardExecutor(NetworkSpec spec, int maxShardSize, int threads) : IShardExecutor
{
    private readonly Network network = new(spec, maxShardSize, threads);

    public int Workers => 1;

    public Task ComputeGradientsAsync(ModelVersion model, BatchView batch, IReadOnlyList<Shard> shards, ShardOutcome[] outcomes, CancellationToken cancellationToken)
    {
        for (int i = 0; i < shards.Count; i++)
        {
            var shard = shards[i];
            outcomes[i].Statistics = network.ComputeGradient(
                model.Parameters.Span, batch.PixelsOf(shard).Span, batch.LabelsOf(shard).Span, shard.Count, outcomes[i].Buffer);
        }
        return Task.CompletedTask;
    }

    public Task EvaluateAsync(ModelVersion model, BatchView data, IReadOnlyList<Shard> chunks, ShardStatistics[] results, CancellationToken cancellationToken)
    {
        for (int i = 0; i < chunks.Count; i++)
        {
            var chunk = chunks[i];
            results[i] = network.Evaluate(model.Parameters.Span, data.PixelsOf(chunk).Span, data.LabelsOf(chunk).Span, chunk.Count);
        }
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
