namespace DistTrain.Training.Observability;

/// <summary>The coordinator's live page and /metrics (configuration section "Dashboard").</summary>
public sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>http://HOST:PORT to serve on; empty: off (the default for `coordinator`; `run` picks a free loopback port).</summary>
    public string Url { get; set; } = "";
}
