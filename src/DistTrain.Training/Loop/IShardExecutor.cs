using System.Runtime.InteropServices;
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

/// <summary>
/// One shard's result: its gradient sum (not divided by the count) and statistics. An executor
/// writes the gradient into <see cref="Buffer"/>, or lends little-endian float32 bytes it already
/// holds (a received message) until the loop has added them and calls <see cref="Release"/>.
/// </summary>
public sealed class ShardOutcome(int parameterCount)
{
    private ReadOnlyMemory<byte> _lent;
    private Action? _release;
    private float[]? _buffer;

    /// <summary>Allocated on first use: with parameter shards the gradients never come to the coordinator.</summary>
    public float[] Buffer => _buffer ??= new float[parameterCount];

    public ReadOnlySpan<float> Gradient => _release is null ? Buffer : MemoryMarshal.Cast<byte, float>(_lent.Span);

    public ShardStatistics Statistics { get; set; }

    /// <summary>Uses <paramref name="littleEndianFloats"/> as the gradient; <paramref name="release"/> runs once it is no longer read.</summary>
    public void Lend(ReadOnlyMemory<byte> littleEndianFloats, Action release)
    {
        if (!BitConverter.IsLittleEndian || littleEndianFloats.Length != parameterCount * sizeof(float))
        {
            throw new ArgumentException($"a lent gradient must be {parameterCount} little-endian floats", nameof(littleEndianFloats));
        }
        Release();
        _lent = littleEndianFloats;
        _release = release;
    }

    /// <summary>Ends a loan (a no-op for a gradient in <see cref="Buffer"/>).</summary>
    public void Release()
    {
        var release = _release;
        _release = null;
        _lent = default;
        release?.Invoke();
    }
}
