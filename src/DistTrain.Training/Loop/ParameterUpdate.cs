using DistTrain.Core;
using DistTrain.Training.Configuration;

namespace DistTrain.Training.Loop;

/// <summary>
/// One step of mini-batch SGD on the coordinator: g = (1/B)·Σ_shards gradient sums + λ·W, then
/// the optimizer moves the weights with the scheduled learning rate.
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
            if (!AverageGradient(parameters, shards, gradient, start, length))
            {
                Volatile.Write(ref finite, false);
            }
        });
        if (!finite)
        {
            throw new TrainingDivergedException(
                $"the gradient at iteration {iteration} is not finite (NaN or infinity): training diverged; lower --lr (now {config.LearningRate})");
        }

        var rate = RateAt(iteration);
        ForEachBlock(parallel, (start, length) =>
            optimizer.StepSlice(start, parameters.AsSpan(start, length), gradient.AsSpan(start, length), rate));
        optimizer.EndStep();
    }

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

    /// <summary>g = (1/B)·Σ shards + λ·W on one block; false when a value is not finite.</summary>
    private bool AverageGradient(float[] parameters, IReadOnlyList<ShardOutcome> shards, float[] gradient, int start, int length)
    {
        var g = gradient.AsSpan(start, length);
        if (shards.Count == 1)
        {
            shards[0].Gradient.Slice(start, length).CopyTo(g);
        }
        else
        {
            GradientMath.Add(shards[0].Gradient.Slice(start, length), shards[1].Gradient.Slice(start, length), g);
        }
        for (var s = 2; s < shards.Count; s++)
        {
            GradientMath.Add(shards[s].Gradient.Slice(start, length), g);
        }
        GradientMath.Scale(g, 1f / config.BatchSize);
        if (config.WeightDecay > 0)
        {
            WeightDecay.AddGradient(layout, parameters, gradient, config.WeightDecay, start, length);
        }
        return GradientMath.AllFinite(g);
    }
}

/// <summary>The run cannot go on because the numbers blew up; the message says what to change.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
