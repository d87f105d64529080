namespace DistTrain.Abuse.Tests;

/// <summary>What a server under attack must stay within (issue 15).</summary>
internal static class Budgets
{
    /// <summary>Peak resident memory of the coordinator, attack or not.</summary>
    public const long RssKb = 400 * 1024;

    /// <summary>Time after an attack's end within which CPU must be back to the training's own.</summary>
    public static readonly TimeSpan CpuGrace = TimeSpan.FromSeconds(1);

    /// <summary>The window after the grace in which CPU is measured.</summary>
    public static readonly TimeSpan CpuWindow = TimeSpan.FromSeconds(1);

    /// <summary>
    /// CPU above the training's own that still counts as back to it, in cores: what the noise of
    /// one-second samples on a shared 2-core machine needs (a server still working through an
    /// attack's leftovers uses a core or more). Half-second samples once read +0.4 cores for a
    /// server that had settled.
    /// </summary>
    public const double CpuTolerance = 0.3;

    /// <summary>How long after the attack health must still answer (and the peak is read).</summary>
    public static readonly TimeSpan After = CpuGrace + CpuWindow;
}
