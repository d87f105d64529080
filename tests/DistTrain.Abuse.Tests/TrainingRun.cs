using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DistTrain.Abuse.Tests;

/// <summary>
/// A real training run under attack: `disttrain coordinator` with the target's transport arguments
/// and one real `disttrain worker`, both with one compute thread, on loopback, on MNIST. Its
/// epochs' ends are read from the coordinator's log as they arrive.
/// </summary>
internal sealed partial class TrainingRun : IServerUnderAttack
{
    private readonly ChildProcess coordinator;
    private readonly ChildProcess worker;
    private readonly List<TimeSpan> epochEnds = [];
    private readonly TaskCompletionSource firstEpoch = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StreamWriter? log;
    private int logLines;
    private bool disposed;

    private TrainingRun(int epochs, IReadOnlyList<string> transportArguments, string outDir, string? logFile)
    {
        if (logFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
            log = new StreamWriter(logFile) { AutoFlush = true };
        }
        Epochs = epochs;
        OutDir = outDir;
        Address = $"http://127.0.0.1:{Repository.FreeLoopbackPort()}";
        Started = Clock.Now;
        coordinator = ChildProcess.Start("dotnet",
            [Repository.DisttrainDll, "coordinator", "--listen", Address, "--min-workers", "1", .. Options(epochs), "--out", outDir, .. transportArguments],
            OnCoordinatorLine);
        Gauge = new ProcessGauge(coordinator.Id);
        worker = ChildProcess.Start("dotnet",
            [Repository.DisttrainDll, "worker", "--coordinator", Address, "--name", "real-worker", "--threads", "1", "--retry-seconds", "0.2", .. transportArguments]);
    }

    public string Address { get; }

    public ProcessGauge Gauge { get; }

    public int Epochs { get; }

    public string OutDir { get; }

    public TimeSpan Started { get; }

    public bool HasExited => coordinator.HasExited;

    public int LogLines => Volatile.Read(ref logLines);

    public string ExitDescription => HasExited
        ? $"coordinator exit code {coordinator.Process.ExitCode}; its last lines:\n{coordinator.Tail()}\nworker's last lines:\n{worker.Tail()}"
        : "still running";

    /// <summary>The training options of every run of a campaign (and of the reference): only --epochs varies.</summary>
    public static IEnumerable<string> Options(int epochs) =>
        ["--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--data-dir", Repository.DataDir, "--threads", "1", "--seed", "1"];

    /// <summary>Starts coordinator and worker; the coordinator's first <see cref="LogFileLines"/> lines go to <paramref name="logFile"/> when given.</summary>
    public static TrainingRun Start(int epochs, IReadOnlyList<string> transportArguments, string? logFile = null) =>
        new(epochs, transportArguments, Directory.CreateTempSubdirectory("disttrain-abuse-run-").FullName, logFile);

    /// <summary>Lines of the coordinator's log kept in its file: an attack can make it log hundreds of thousands.</summary>
    public const int LogFileLines = 20_000;

    /// <summary>Completes when epoch 1 is done: the processes are warm and the run is in full swing.</summary>
    public async Task WaitForFirstEpochAsync(TimeSpan limit)
    {
        var done = await Task.WhenAny(firstEpoch.Task, coordinator.Process.WaitForExitAsync(), Task.Delay(limit));
        if (done != firstEpoch.Task)
        {
            throw new InvalidOperationException($"the training run did not finish its first epoch within {limit}: {ExitDescription}\n{coordinator.Tail()}");
        }
    }

    /// <summary>Waits for the coordinator to finish; its summary.json, or an error describing why there is none.</summary>
    public async Task<(JsonElement? Summary, string Error)> FinishAsync(TimeSpan limit)
    {
        var exit = await coordinator.WaitAsync(limit);
        var path = Path.Combine(OutDir, "summary.json");
        if (exit != 0 || !File.Exists(path))
        {
            return (null, exit is null ? $"the run had not finished after {limit}" : $"the run ended without a summary: {ExitDescription}");
        }
        return (JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone(), "");
    }

    /// <summary>Seconds of each epoch, from metrics.csv.</summary>
    public IReadOnlyList<double> EpochSeconds() =>
        File.ReadAllLines(Path.Combine(OutDir, "metrics.csv")).Skip(1)
            .Select(line => double.Parse(line.Split(',')[5], CultureInfo.InvariantCulture)).ToList();

    /// <summary>
    /// Seconds the training lost during [from, to]: the epochs around that window (from the last
    /// epoch end before it to the first after it) took that much longer than <paramref name="epochSeconds"/>
    /// each, the rest of their time being assumed unattacked. Null until an epoch has ended after it.
    /// </summary>
    public double? DelayDuring(TimeSpan from, TimeSpan to, double epochSeconds)
    {
        lock (epochEnds)
        {
            var before = epochEnds.LastOrDefault(t => t <= from, Started);
            var after = epochEnds.FirstOrDefault(t => t >= to);
            if (after == default)
            {
                return null;
            }
            var epochs = epochEnds.Count(t => t > before && t <= after);
            return (after - before).TotalSeconds - (epochs * epochSeconds);
        }
    }

    /// <summary>
    /// Seconds until the run ends, at the pace of its fastest recent epoch (or <paramref name="epochSeconds"/>
    /// before it has two): an estimate that errs early.
    /// </summary>
    public double SecondsLeft(double epochSeconds)
    {
        lock (epochEnds)
        {
            var recent = epochEnds.Count < 2 ? epochSeconds
                : epochEnds.Skip(Math.Max(0, epochEnds.Count - 4)).Zip(epochEnds.Skip(Math.Max(1, epochEnds.Count - 3)), (a, b) => (b - a).TotalSeconds).Min();
            var sinceLast = epochEnds.Count == 0 ? 0 : (Clock.Now - epochEnds[^1]).TotalSeconds;
            return ((Epochs - epochEnds.Count) * Math.Min(recent, epochSeconds)) - sinceLast;
        }
    }

    /// <summary>The median time between epoch ends of this run, seconds (null before two epochs).</summary>
    public double? MedianEpochSeconds()
    {
        lock (epochEnds)
        {
            return epochEnds.Count < 3 ? null : Calibration.Median(epochEnds.Skip(1).Zip(epochEnds.Skip(2), (a, b) => (b - a).TotalSeconds));
        }
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        coordinator.Dispose();
        worker.Dispose();
        lock (epochEnds)
        {
            if (log is not null && LogLines > LogFileLines)
            {
                log.WriteLine($"... {LogLines - LogFileLines} more lines not kept");
            }
            log?.Dispose();
        }
        try
        {
            Directory.Delete(OutDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying process; the temp folder is cleaned by the system.
        }
    }

    private void OnCoordinatorLine(TimeSpan at, string line)
    {
        if (Interlocked.Increment(ref logLines) <= LogFileLines)
        {
            lock (epochEnds)
            {
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{at.TotalSeconds:0.000}] {line}"));
            }
        }
        if (EpochDone().IsMatch(line))
        {
            lock (epochEnds)
            {
                epochEnds.Add(at);
            }
            firstEpoch.TrySetResult();
        }
    }

    [GeneratedRegex(@"Epoch \d+/\d+ done:")]
    private static partial Regex EpochDone();
}
