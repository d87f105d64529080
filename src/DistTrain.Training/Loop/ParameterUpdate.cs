using DistTrain.Core;
using DistTrain.Training.Configuration;

namespace DistTrain.Training.Loop;

/// <summary>
/// One step of mini-batch SGD: g = (1/B)·Σ_shards gradient sums + λ·W, then the optimizer moves
/// the weights with the scheduled learning rate. On the coordinator over the whole vector
/// (<see cref="Apply"/>), or with parameter shards by each slice's owner, block by block
/// (<see cref="TryStepBlock"/>); the arithmetic of a block is the same either way.
/// </summary>
/// <remarks>
/// Every operation is elementwise, so the step runs block by block: each block of g is summed,
/// scaled, decayed and checked while the shards' blocks are still in cache, and the optimizer
/// then updates each block of weights and state in one visit. The bits are those of whole-vector
/// passes; the memory traffic is a fraction, and the workers wait on this step.
/// </remarks>
public sealed class ParameterUpdate(TrainingConfiguration config, ParameterLayout layout, IOptimizer optimizer, long totalIterations)
{
    /// <summary>Floats per block: a block of every operand (shards, g, weights, state) fits in L2 together.</summary>
    public const int BlockSize = 16 * 1024;

    public IOptimizer Optimizer => optimizer;

    /// <summary>Threads the blocks of a step run on: the configuration's compute threads.</summary>
    public int Threads => config.Threads;

    /// <summary>Iterations of the whole run: the learning-rate schedule's length.</summary>
    public long TotalIterations => totalIterations;

    /// <summary>Learning rate at a global iteration (counted from 0 over the whole run).</summary>
    public float RateAt(long iteration) => LearningRateSchedule.Rate(config.Schedule, config.LearningRate, iteration, totalIterations);

    /// <summary>
    /// Applies the step for the shards' gradient sums, added in shard order (((g0 + g1) + g2) + ...),
    /// never arrival order. <paramref name="gradient"/> is scratch space that ends up holding g.
    /// Nothing is changed when g is not finite. Blocks run on up to <see cref="Threads"/>
    /// threads; each block's arithmetic is the same whichever thread runs it.
    /// </summary>
    public void Apply(float[] parameters, IReadOnlyList<ShardOutcome> shards, float[] gradient, long iteration)
    {
        if (parameters.Length != layout.Count || gradient.Length != layout.Count)
        {
            throw new ArgumentException($"The network has {layout.Count} parameters; got {parameters.Length} parameters and {gradient.Length} gradient values.");
        }
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Threads };
        var finite = true;
        ForEachBlock(parallel, (start, length) =>
        {
            if (!AverageGradient(new OutcomeGradients(shards), parameters.AsSpan(start, length), gradient.AsSpan(start, length), start))
            {
                Volatile.Write(ref finite, false);
            }
        });
        if (!finite)
        {
            throw new TrainingDivergedException(DivergedAt(iteration));
        }

        var rate = RateAt(iteration);
        ForEachBlock(parallel, (start, length) =>
            optimizer.StepSlice(start, parameters.AsSpan(start, length), gradient.AsSpan(start, length), rate));
        optimizer.EndStep();
    }

    /// <summary>
    /// One block of a slice owner's step, with this update's optimizer holding the slice's state
    /// (its index 0 is parameter <paramref name="sliceOffset"/>): g = (1/B)·Σ shards + λ·W over the
    /// entries [<paramref name="start"/>, start + g.Length) of the vector, shards added in shard order;
    /// then <paramref name="next"/> gets the block's weights <paramref name="weights"/> moved by the
    /// optimizer. The arithmetic of <see cref="Apply"/> for that block. False, and nothing changed,
    /// when g is not finite. Call <see cref="EndStep"/> once every block of the step is done.
    /// </summary>
    public bool TryStepBlock<TShards>(TShards shards, ReadOnlySpan<float> weights, Span<float> gradient, Span<float> next, int start, int sliceOffset, long iteration)
        where TShards : IShardGradients
    {
        if (!AverageGradient(shards, weights, gradient, start))
        {
            return false;
        }
        weights.CopyTo(next);
        optimizer.StepSlice(start - sliceOffset, next, gradient, RateAt(iteration));
        return true;
    }

    /// <summary>Counts a step whose blocks were all done by <see cref="TryStepBlock"/>.</summary>
    public void EndStep() => optimizer.EndStep();

    /// <summary>What the run says when the gradient of <paramref name="iteration"/> is not finite.</summary>
    public string DivergedAt(long iteration) =>
        $"the gradient at iteration {iteration} is not finite (NaN or infinity): training diverged; lower --lr (now {config.LearningRate})";

    private void ForEachBlock(ParallelOptions parallel, Action<int, int> work)
    {
        var blocks = (layout.Count + BlockSize - 1) / BlockSize;
        void Block(int b) => work(b * BlockSize, Math.Min(BlockSize, layout.Count - b * BlockSize));
        if (parallel.MaxDegreeOfParallelism == 1)
        {
            for (var b = 0; b < blocks; b++)
            {
                Block(b);
            }
            return;
        }
        Parallel.For(0, blocks, parallel, Block);
    }

    /// <summary>g = (1/B)·Σ shards + λ·W on the block at <paramref name="start"/>; false when a value is not finite.</summary>
    private bool AverageGradient<TShards>(TShards shards, ReadOnlySpan<float> weights, Span<float> g, int start)
        where TShards : IShardGradients
    {
        var length = g.Length;
        if (shards.Count == 1)
        {
            shards.Block(0, start, length).CopyTo(g);
        }
        else
        {
            GradientMath.Add(shards.Block(0, start, length), shards.Block(1, start, length), g);
        }
        for (var s = 2; s < shards.Count; s++)
        {
            GradientMath.Add(shards.Block(s, start, length), g);
        }
        GradientMath.Scale(g, 1f / config.BatchSize);
        if (config.WeightDecay > 0)
        {
            WeightDecay.AddGradientWindow(layout, weights, g, config.WeightDecay, start);
        }
        return GradientMath.AllFinite(g);
    }

    private readonly struct OutcomeGradients(IReadOnlyList<ShardOutcome> outcomes) : IShardGradients
    {
        public int Count => outcomes.Count;

        public ReadOnlySpan<float> Block(int shard, int start, int length) => outcomes[shard].Gradient.Slice(start, length);
    }
}

/// <summary>The gradient sums of a mini-batch's shards, read a block at a time (positions are in the whole vector).</summary>
public interface IShardGradients
{
    int Count { get; }

    ReadOnlySpan<float> Block(int shard, int start, int length);
}

/// <summary>The run cannot go on because the numbers blew up; the message says what to change.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
