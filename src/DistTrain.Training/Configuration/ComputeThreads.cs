namespace DistTrain.Training.Configuration;

/// <summary>
/// The --threads convention of every command: a number of compute threads, or 0 for every core
/// this process may use. Resolved once at start and then passed to whatever computes.
/// </summary>
public static class ComputeThreads
{
    public static int Resolve(int requested, string option = "--threads")
    {
        if (requested < 0)
        {
            throw new OptionsException($"{option}: {requested} must be 0 (all cores) or a number of threads");
        }
        return requested > 0 ? requested : Environment.ProcessorCount;
    }
}
