using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace DistTrain.EndToEnd.Tests;

/// <summary>A coordinator, workers and parameter servers started by hand as separate processes, for fault tests.</summary>
internal sealed partial class Cluster : IDisposable
{
    private readonly List<(string Name, Process Process)> processes = [];

    /// <param name="transport">--transport for the coordinator and every worker; null for the default.</param>
    public Cluster(string? transport = null)
    {
        TransportArguments = transport is null ? [] : ["--transport", transport];
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Address = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
    }

    public string Address { get; }

    private string[] TransportArguments { get; }

    public StringBuilder Log { get; } = new();

    public Process Coordinator { get; private set; } = null!;

    public Process StartCoordinator(params string[] args)
    {
        Coordinator = Start("coordinator", ["coordinator", "--listen", Address, .. TransportArguments, .. args]);
        return Coordinator;
    }

    public Process StartWorker(string name, IDictionary<string, string>? environment = null, params string[] args) =>
        Start(name, ["worker", "--coordinator", Address, "--name", name, "--threads", "1", .. TransportArguments, .. (args.Contains("--retry-seconds") ? args : ["--retry-seconds", "0.2", .. args])], environment);

    /// <summary>A parameter server on a free loopback port, registering with this cluster's coordinator.</summary>
    public Process StartParameterServer(string name, params string[] args) =>
        Start(name, ["parameter-server", "--coordinator", Address, "--name", name, "--listen", "http://127.0.0.1:0", "--retry-seconds", "0.2", .. TransportArguments, .. args]);

    public bool Logged(string text)
    {
        lock (Log)
        {
            return Log.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    public int Count(string text)
    {
        lock (Log)
        {
            var log = Log.ToString();
            var count = 0;
            for (var i = log.IndexOf(text, StringComparison.Ordinal); i >= 0; i = log.IndexOf(text, i + 1, StringComparison.Ordinal))
            {
                count++;
            }
            return count;
        }
    }

    public async Task WaitForLog(string text, TimeSpan limit, string? orText = null)
    {
        var clock = Stopwatch.StartNew();
        while (!Logged(text) && (orText is null || !Logged(orText)))
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"'{text}'{(orText is null ? "" : $" or '{orText}'")} not logged within {limit}:\n{Dump()}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Waits until the run is well under way in its first epoch: the first progress line, or the
    /// end of epoch 1 when the epoch is shorter than the time between progress lines.
    /// </summary>
    public Task WaitForFirstEpochUnderWay(int epochs) =>
        WaitForLog($"Epoch 1/{epochs} batch", TimeSpan.FromMinutes(2), orText: $"Epoch 1/{epochs} done");

    public async Task<int> WaitForCoordinator(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await Coordinator.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"coordinator still running after {limit}:\n{Dump()}");
        }
        Coordinator.WaitForExit();
        return Coordinator.ExitCode;
    }

    public string Dump()
    {
        lock (Log)
        {
            return Log.ToString();
        }
    }

    public static void Signal(Process process, int signal) => Assert.Equal(0, SendSignal(process.Id, signal));

    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    public void Dispose()
    {
        foreach (var (_, p) in processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    _ = SendSignal(p.Id, SigCont);
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            p.Dispose();
        }
    }

    private Process Start(string name, string[] args, IDictionary<string, string>? environment = null)
    {
        var process = Disttrain.Start(args, Log, environment, name);
        processes.Add((name, process));
        return process;
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
