namespace DistTrain.Training.ParameterShards;

/// <summary>Settings of one parameter-server process (configuration section "ParameterServer").</summary>
public sealed class ParameterServerOptions
{
    public const string Section = "ParameterServer";

    /// <summary>The coordinator's address, e.g. http://coordinator:50051.</summary>
    public string Coordinator { get; set; } = "";

    /// <summary>Where workers connect to pull weights and push gradients: http:// or https://, port 0 for any free one.</summary>
    public string Listen { get; set; } = "http://0.0.0.0:50061";

    /// <summary>
    /// The address workers use, when it is not the one <see cref="Listen"/> names (a DNS name, a
    /// NAT). Empty: the listening address, whose wildcard host the coordinator replaces by the address it sees this server connect from.
    /// </summary>
    public string Advertise { get; set; } = "";

    /// <summary>Shown in the coordinator's logs; defaults to host name and process id.</summary>
    public string Name { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Seconds between attempts to reach the coordinator.</summary>
    public double RetrySeconds { get; set; } = 1;

    /// <summary>Exit with an error after the coordinator has been unreachable this many seconds; 0 = keep waiting (deployments).</summary>
    public double GiveUpAfterSeconds { get; set; }
}
