using DistTrain.Core;
using DistTrain.Training.Configuration;

namespace DistTrain.Training.Loop;

/// <summary>
/// One step of mini-batch SGD on the coordinator: g = (1/B)·Σ_shards gradient sums + λ·W, then
/// the optimizer moves the weights with the scheduled learning rate.
/// </summary>
public sealed class ParameterUpdate(TrainingConfiguration config, ParameterLayout layout, IOptimizer optimizer, long totalIterations)
{
    public IOptimizer Optimizer => optimizer;

    /// <summary>Learning rate at a global iteration (counted from 0 over the whole run).</summary>
    public float RateAt(long iteration) => LearningRateSchedule.Rate(config.Schedule, config.LearningRate, iteration, totalIterations);

    /// <summary>Applies the step. <paramref name="gradientSum"/> is consumed (scaled in place).</summary>
    public void Apply(Span<float> parameters, Span<float> gradientSum, long iteration)
    {
        GradientMath.Scale(gradientSum, 1f / config.BatchSize);
        if (config.WeightDecay > 0)
        {
            WeightDecay.AddGradient(layout, parameters, gradientSum, config.WeightDecay);
        }
        if (!GradientMath.AllFinite(gradientSum))
        {
            throw new TrainingDivergedException(
                $"the gradient at iteration {iteration} is not finite (NaN or infinity): training diverged; lower --lr (now {config.LearningRate})");
        }
        optimizer.Step(parameters, gradientSum, RateAt(iteration));
    }
}

/// <summary>The run cannot go on because the numbers blew up; the message says what to change.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
