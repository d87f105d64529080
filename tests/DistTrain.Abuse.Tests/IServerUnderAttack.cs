namespace DistTrain.Abuse.Tests;

/// <summary>The process the attacks aim at: a training coordinator, or the Kestrel peer.</summary>
internal interface IServerUnderAttack : IDisposable
{
    /// <summary>http://127.0.0.1:PORT</summary>
    string Address { get; }

    ProcessGauge Gauge { get; }

    bool HasExited { get; }

    /// <summary>How it ended, once it has: an exit code and the last lines it printed.</summary>
    string ExitDescription { get; }

    /// <summary>Lines it has logged so far.</summary>
    int LogLines { get; }

}
