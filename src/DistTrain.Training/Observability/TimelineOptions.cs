namespace DistTrain.Training.Observability;

/// <summary>The Chrome trace of a run (configuration section "Timeline").</summary>
public sealed class TimelineOptions
{
    public const string Section = "Timeline";

    /// <summary>File to write; empty: no timeline.</summary>
    public string File { get; set; } = "";

    /// <summary>Iterations recorded at the start of each epoch (evaluation and checkpoints always are).</summary>
    public int IterationsPerEpoch { get; set; } = 50;

    /// <summary>Recording stops after this many events (about 100 bytes each).</summary>
    public long MaxEvents { get; set; } = 200_000;
}
