namespace DistTrain.Training.Observability;

/// <summary>What the dashboard shows, at one moment (serialized as its JSON).</summary>
public sealed record RunSnapshot(
    string Status,
    IReadOnlyDictionary<string, string> Configuration,
    ProgressSnapshot Progress,
    IReadOnlyList<EpochPoint> Epochs,
    IReadOnlyList<RunningPoint> RunningLoss,
    IReadOnlyList<WorkerSnapshot> Workers,
    SchedulerCounts Counts,
    double StragglerFactor);

/// <summary>Where the run is: <see cref="EtaSeconds"/> is null until there is a rate to go by.</summary>
public sealed record ProgressSnapshot(
    int Epoch, int Epochs, int Iteration, int IterationsPerEpoch, double Fraction,
    double SamplesPerSecond, double ElapsedSeconds, double? EtaSeconds);

public sealed record EpochPoint(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy, double Seconds, double SamplesPerSecond);

/// <summary>The running mean loss and accuracy of the epoch at <see cref="Position"/> (epoch - 1 + fraction done).</summary>
public sealed record RunningPoint(double Position, double Loss, double Accuracy);

/// <summary>One worker's recent shards: times in milliseconds over the last answers, null before any.</summary>
public sealed record WorkerSnapshot(
    string Name, string State, long Shards,
    double? ComputeP50Ms, double? ComputeP95Ms, double? RoundTripP50Ms, double? RoundTripP95Ms, bool Straggler);

public sealed record SchedulerCounts(long Rejected, long Redispatched, long Speculated, long Checkpoints);
