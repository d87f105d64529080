namespace DistTrain.Training.Distributed;

/// <summary>Settings of one worker process (configuration section "Worker").</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>The coordinator's address, e.g. http://coordinator:50051.</summary>
    public string Coordinator { get; set; } = "";

    /// <summary>Shown in the coordinator's logs; defaults to host name and process id.</summary>
    public string Name { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Compute threads; 0 = all cores.</summary>
    public int Threads { get; set; }

    /// <summary>Seconds between reconnection attempts while the coordinator is unreachable.</summary>
    public double RetrySeconds { get; set; } = 1;

    /// <summary>Exit with an error after the coordinator has been unreachable this many seconds; 0 = keep waiting (deployments).</summary>
    public double GiveUpAfterSeconds { get; set; }

    /// <summary>http://HOST:PORT to serve this worker's Prometheus /metrics on; empty: off.</summary>
    public string Metrics { get; set; } = "";
}
