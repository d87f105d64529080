using DistTrain.Core;
using DistTrain.Data;

namespace DistTrain.Training.Loop;

/// <summary>
/// Computes the shards of one mini-batch: in this process (<c>train</c>) or on workers
/// (<c>coordinator</c>). The training loop is the same for both, so both give the same bits.
/// </summary>
public interface IShardExecutor : IAsyncDisposable
{
    /// <summary>How many processes compute shards; for logs and the summary.</summary>
    int Workers { get; }

    /// <summary>
    /// Fills <paramref name="outcomes"/>[i] with the gradient sum, loss sum and correct count of
    /// <paramref name="shards"/>[i] of <paramref name="batch"/>, computed with the weights of
    /// <paramref name="model"/>. Each shard's gradient stays separate: the caller adds them in shard order.
    /// </summary>
    Task ComputeGradientsAsync(ModelVersion model, BatchView batch, IReadOnlyList<Shard> shards, ShardOutcome[] outcomes, CancellationToken cancellationToken);

    /// <summary>Forward pass only: loss sum and correct count of each chunk of <paramref name="data"/>.</summary>
    Task EvaluateAsync(ModelVersion model, BatchView data, IReadOnlyList<Shard> chunks, ShardStatistics[] results, CancellationToken cancellationToken);
}

/// <summary>The weights of one optimizer step; <see cref="Version"/> counts steps from 0.</summary>
public readonly record struct ModelVersion(long Version, ReadOnlyMemory<float> Parameters);

/// <summary>Samples laid out contiguously: pixels row-major (one byte each), one label byte each.</summary>
public readonly record struct BatchView(ReadOnlyMemory<byte> Pixels, ReadOnlyMemory<byte> Labels, int PixelsPerSample)
{
    public ReadOnlyMemory<byte> PixelsOf(Shard shard) => Pixels.Slice(shard.Start * PixelsPerSample, shard.Count * PixelsPerSample);

    public ReadOnlyMemory<byte> LabelsOf(Shard shard) => Labels.Slice(shard.Start, shard.Count);
}

/// <summary>One shard's result: its gradient sum (not divided by the count) and statistics.</summary>
public sealed class ShardOutcome(int parameterCount)
{
    public float[] Gradient { get; } = new float[parameterCount];

    public ShardStatistics Statistics { get; set; }
}
