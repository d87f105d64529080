using System.Globalization;
using System.Runtime.InteropServices;

namespace DistTrain.Abuse.Tests;

/// <summary>
/// What /proc says about one process: the CPU time it has used (utime + stime of /proc/PID/stat),
/// its resident memory (VmRSS) and its peak (VmHWM), which writing 5 to /proc/PID/clear_refs
/// resets (Linux 4.0+), so that each attack gets a peak of its own.
/// </summary>
internal sealed partial class ProcessGauge(int pid)
{
    private const int ClockTicksName = 2; // _SC_CLK_TCK

    private static readonly double TicksPerSecond = SystemConfiguration(ClockTicksName) is var t and > 0 ? t : 100;

    public int Pid { get; } = pid;

    /// <summary>CPU seconds used so far, or null once the process is gone.</summary>
    public double? CpuSeconds()
    {
        var stat = Read("stat");
        if (stat is null)
        {
            return null;
        }
        // Fields after the command name, which is in parentheses and may hold spaces: state is
        // field 3, utime 14 and stime 15 (proc(5)).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    public long? RssKb() => StatusField("VmRSS:");

    public long? PeakRssKb() => StatusField("VmHWM:");

    /// <summary>Starts a new peak (VmHWM = VmRSS now); false when the kernel refuses.</summary>
    public bool ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{Pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private long? StatusField(string name)
    {
        var status = Read("status");
        if (status is null)
        {
            return null;
        }
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                return long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    private string? Read(string file)
    {
        try
        {
            return File.ReadAllText($"/proc/{Pid}/{file}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SystemConfiguration(int name);
}
