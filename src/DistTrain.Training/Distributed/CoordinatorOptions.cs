namespace DistTrain.Training.Distributed;

/// <summary>Settings of the coordinator process (configuration section "Coordinator").</summary>
public sealed class CoordinatorOptions
{
    public const string Section = "Coordinator";

    /// <summary>Where workers connect: http:// for plaintext HTTP/2, https:// with a certificate.</summary>
    public string Listen { get; set; } = "http://0.0.0.0:50051";

    /// <summary>
    /// Slices the parameters and the optimizer state are cut into: 1 keeps them all on the
    /// coordinator; P &gt; 1 has the coordinator own one and wait for P - 1 parameter servers for the others.
    /// </summary>
    public int ParameterShards { get; set; } = 1;

    /// <summary>Workers to wait for before the first iteration; also the default shard count.</summary>
    public int MinWorkers { get; set; } = 1;

    /// <summary>Connections refused beyond this many workers.</summary>
    public int MaxWorkers { get; set; } = 64;

    /// <summary>A shard not answered within this many seconds is taken from its worker and recomputed elsewhere.</summary>
    public double TaskTimeoutSeconds { get; set; } = 30;

    /// <summary>A worker that sends nothing, not even a heartbeat, for this many seconds is dropped.</summary>
    public double HeartbeatTimeoutSeconds { get; set; } = 5;

    /// <summary>Give a late shard to an idle worker as well; the first answer wins.</summary>
    public bool Speculate { get; set; } = true;

    /// <summary>A shard is late once it has taken this many times the 95th percentile of recent round trips.</summary>
    public double SpeculationFactor { get; set; } = 2.0;

    /// <summary>
    /// The epoch's straggler report names a worker whose median shard round trip is more than this
    /// many times the median of the other workers' medians.
    /// </summary>
    public double StragglerFactor { get; set; } = 1.5;
}
