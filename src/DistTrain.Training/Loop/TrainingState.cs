using DistTrain.Core;

namespace DistTrain.Training.Loop;

/// <summary>
/// Everything a run needs to continue bit for bit: weights, optimizer state, where in the run it
/// is, and the metrics so far. A checkpoint is this, serialized.
/// </summary>
public sealed class TrainingState(float[] parameters, IOptimizer optimizer)
{
    public float[] Parameters { get; } = parameters;

    public IOptimizer Optimizer { get; } = optimizer;

    /// <summary>The epoch in progress, from 1; Epochs + 1 once the run is complete.</summary>
    public int Epoch { get; set; } = 1;

    /// <summary>The next mini-batch of <see cref="Epoch"/>, from 0.</summary>
    public int Iteration { get; set; }

    /// <summary>Optimizer steps taken: the weight version.</summary>
    public long Version { get; set; }

    /// <summary>Running sums of the epoch in progress.</summary>
    public double EpochLossSum { get; set; }

    public long EpochCorrect { get; set; }

    public long EpochSamples { get; set; }

    public double EpochSeconds { get; set; }

    public List<EpochMetrics> History { get; } = [];

    public void StartEpoch(int epoch)
    {
        Epoch = epoch;
        Iteration = 0;
        EpochLossSum = 0;
        EpochCorrect = 0;
        EpochSamples = 0;
        EpochSeconds = 0;
    }
}
