using System.Diagnostics;
using System.Text;

namespace DistTrain.Abuse.Tests;

/// <summary>A process the suite starts, with each line it prints handed on with the time it arrived.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly StringBuilder tail = new();

    private ChildProcess(Process process) => Process = process;

    public Process Process { get; }

    public int Id => Process.Id;

    public bool HasExited => Process.HasExited;

    public static ChildProcess Start(string file, IEnumerable<string> arguments, Action<TimeSpan, string>? onLine = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var child = new ChildProcess(new Process { StartInfo = info });
        void Receive(string? line)
        {
            if (line is null)
            {
                return;
            }
            onLine?.Invoke(Clock.Now, line);
            lock (child.tail)
            {
                // The last lines are kept for failure messages; the rest went to onLine.
                if (child.tail.Length > 16_000)
                {
                    child.tail.Remove(0, child.tail.Length - 8_000);
                }
                child.tail.AppendLine(line);
            }
        }
        child.Process.OutputDataReceived += (_, e) => Receive(e.Data);
        child.Process.ErrorDataReceived += (_, e) => Receive(e.Data);
        child.Process.Start();
        child.Process.BeginOutputReadLine();
        child.Process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The exit code, or null when it did not exit within <paramref name="limit"/> (then it is killed).</summary>
    public async Task<int?> WaitAsync(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            return null;
        }
        Process.WaitForExit(); // drains the output handlers
        return Process.ExitCode;
    }

    public string Tail()
    {
        lock (tail)
        {
            return tail.ToString();
        }
    }

    public void Kill()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        Process.Dispose();
    }
}
