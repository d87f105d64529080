namespace DistTrain.Cli.Commands;

/// <summary>Process exit codes, the same for every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The run failed at run time (a peer, the network, an unexpected fault); for health, the server answered NOT_SERVING.</summary>
    public const int Failure = 1;

    /// <summary>Bad input: an option, an address, a data file, a checkpoint. The message names it.</summary>
    public const int BadInput = 2;

    /// <summary>Training diverged (NaN or infinite gradients).</summary>
    public const int Diverged = 3;

    /// <summary>Nothing answered at the address in time (health; a worker after --give-up-after).</summary>
    public const int Unreachable = 4;

    /// <summary>The codes above as --help shows them.</summary>
    public const string Legend =
        "Exit codes: 0 done (also after a stop that wrote a checkpoint, and health SERVING); 1 run-time failure " +
        "(health: NOT_SERVING); 2 bad input: an option, address, data file or checkpoint, named in the message; " +
        "3 training diverged; 4 nothing answered at the address (health, or a worker after --give-up-after).";
}
