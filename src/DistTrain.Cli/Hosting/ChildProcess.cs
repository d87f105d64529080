using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DistTrain.Cli.Hosting;

/// <summary>
/// A disttrain child process whose output lines are shown prefixed with its name.
/// Stopping sends SIGTERM first (so a coordinator can checkpoint), then kills.
/// </summary>
public sealed partial class ChildProcess : IDisposable
{
    private static readonly Lock ConsoleGate = new();
    private readonly Process process;

    private ChildProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    public string Name { get; }

    public Process Process => process;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>Starts this same executable with <paramref name="arguments"/>.</summary>
    public static ChildProcess Start(string name, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this executable's path");
        info.FileName = host;
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // Started as `dotnet disttrain.dll`: the children are started the same way.
            info.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Show(Console.Out, e.Data);
        process.ErrorDataReceived += (_, e) => child.Show(Console.Error, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public Task WaitAsync(CancellationToken cancellationToken = default) => process.WaitForExitAsync(cancellationToken);

    /// <summary>SIGTERM, then SIGKILL if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (process.HasExited)
        {
            return;
        }
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _ = SendSignal(process.Id, 15);
        }
        else
        {
            process.Kill(entireProcessTree: true);
        }
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public void Dispose() => process.Dispose();

    private void Show(TextWriter writer, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (ConsoleGate)
        {
            writer.WriteLine($"[{Name}] {line}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
