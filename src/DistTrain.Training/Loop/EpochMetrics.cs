namespace DistTrain.Training.Loop;

/// <summary>One row of metrics.csv. Accuracies are fractions in [0, 1].</summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double TestLoss,
    double TestAccuracy,
    double Seconds,
    double SamplesPerSecond);
