namespace DistTrain.Training.Configuration;

/// <summary>
/// The training options as a user gives them: bound from the "Training" configuration section
/// (appsettings.json, environment variables such as Training__Epochs=5) and then from the
/// command line. <see cref="TrainingConfiguration.From"/> validates and types them.
/// </summary>
public sealed class TrainingOptions
{
    public const string Section = "Training";

    public string Dataset { get; set; } = "mnist";
    public string DataDir { get; set; } = "data";
    public int Epochs { get; set; } = 10;
    public int BatchSize { get; set; } = 128;
    public float Lr { get; set; } = 0.05f;
    public float Momentum { get; set; } = 0.9f;
    public string Optimizer { get; set; } = "momentum";
    public string LrSchedule { get; set; } = "constant";
    public string Hidden { get; set; } = "256,128";
    public string Activation { get; set; } = "relu";
    public string Loss { get; set; } = "cross-entropy";
    public float WeightDecay { get; set; }
    public int Seed { get; set; } = 1;
    public string Out { get; set; } = "runs/latest";
    public bool Resume { get; set; }

    /// <summary>Shards per mini-batch; 0 means "the default of the command" (1 for train, the worker count for run).</summary>
    public int Shards { get; set; }

    /// <summary>Iterations between checkpoints (besides the one at each epoch end).</summary>
    public int CheckpointEvery { get; set; } = 200;

    public string WirePrecision { get; set; } = "fp32";

    /// <summary>Compute threads of this process; 0 = all cores.</summary>
    public int Threads { get; set; }
}
