namespace DistTrain.Cli.Commands;

/// <summary>Process exit codes, the same for every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The run failed at run time (a peer, the network, an unexpected fault).</summary>
    public const int Failure = 1;

    /// <summary>Bad input: an option, a data file, a checkpoint. The message names it.</summary>
    public const int BadInput = 2;

    /// <summary>Training diverged (NaN or infinite gradients).</summary>
    public const int Diverged = 3;
}
