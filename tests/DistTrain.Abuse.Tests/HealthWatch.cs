using System.Collections.Concurrent;

namespace DistTrain.Abuse.Tests;

/// <summary>
/// Asks the server under attack, all the time, whether it is serving, in two ways: a grpc.health.v1
/// Check on a fresh HTTP/2 connection from this process every 250 ms, which must be answered
/// SERVING within 1 s, and `disttrain health` (the product's own probe, as Kubernetes runs it) as a
/// separate process once a second, which must answer SERVING within its default deadline of 3 s.
/// The 1 s bound is put on the first because the second's deadline also covers its own start-up
/// and JIT: on a loaded 2-core machine that alone passed 1 s against an idle server. Each probe is
/// kept with its start and end, so any time window can be judged.
/// </summary>
internal sealed class HealthWatch : IAsyncDisposable
{
    /// <summary>Time within which the server must answer a Check.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);

    /// <summary>The deadline `disttrain health` is run with: its default.</summary>
    public static readonly TimeSpan CliDeadline = TimeSpan.FromSeconds(3);

    private readonly ConcurrentQueue<HealthProbe> probes = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task cliLoop;
    private readonly Task callLoop;
    private volatile string address;
    private volatile bool paused;
    private int inFlight;
    private bool disposed;

    public HealthWatch(string address)
    {
        this.address = address;
        cliLoop = Task.Run(() => RepeatAsync(TimeSpan.FromSeconds(1), ProbeWithCliAsync));
        callLoop = Task.Run(() => RepeatAsync(TimeSpan.FromMilliseconds(250), ProbeWithCallAsync));
    }

    /// <summary>Stops probing once the probes under way have ended, so that none sees a server the suite stops.</summary>
    public async Task PauseAsync()
    {
        paused = true;
        while (Volatile.Read(ref inFlight) > 0)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>Probes again, now <paramref name="server"/>.</summary>
    public void Resume(string server)
    {
        address = server;
        paused = false;
    }

    /// <summary>
    /// Waits, up to <paramref name="limit"/>, until a probe of each kind that started at or after
    /// <paramref name="from"/> has ended: on a loaded machine a probe process can start late, and a
    /// window without a probe would judge nothing.
    /// </summary>
    public async Task WaitForProbesSinceAsync(TimeSpan from, TimeSpan limit)
    {
        var end = Clock.Now + limit;
        while (Clock.Now < end && !(probes.Any(p => p.Kind == HealthProbeKind.Cli && p.Start >= from) && probes.Any(p => p.Kind == HealthProbeKind.Call && p.Start >= from)))
        {
            await Task.Delay(50);
        }
    }

    /// <summary>Probes whose time overlaps [from, to].</summary>
    public IReadOnlyList<HealthProbe> Between(TimeSpan from, TimeSpan to) =>
        probes.Where(p => p.Start <= to && p.End >= from).ToList();

    /// <summary>Stops probing and waits for the probes under way, so that every probe is in <see cref="Between"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        await stop.CancelAsync();
        await Task.WhenAll(cliLoop, callLoop);
        stop.Dispose();
    }

    private async Task RepeatAsync(TimeSpan period, Func<Task<HealthProbe>> probe)
    {
        while (!stop.IsCancellationRequested)
        {
            var start = Clock.Now;
            // Counted before the pause is looked at, so that PauseAsync never misses a probe starting.
            Interlocked.Increment(ref inFlight);
            try
            {
                if (!paused)
                {
                    probes.Enqueue(await probe());
                }
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
            var wait = start + period - Clock.Now;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<HealthProbe> ProbeWithCliAsync()
    {
        var target = address;
        var start = Clock.Now;
        using var probe = ChildProcess.Start("dotnet", [Repository.DisttrainDll, "health", "--address", target, "--timeout", CliDeadline.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        // The deadline is the probe's own; this bound only catches a probe that hangs regardless.
        var exit = await probe.WaitAsync(TimeSpan.FromSeconds(15));
        var output = probe.Tail().Trim();
        return new HealthProbe(HealthProbeKind.Cli, start, Clock.Now, exit == 0 && output.Contains(": SERVING", StringComparison.Ordinal),
            exit is null ? "disttrain health still running after 15 s" : $"exit {exit}: {output}");
    }

    private async Task<HealthProbe> ProbeWithCallAsync()
    {
        var start = Clock.Now;
        var (serving, took, detail) = await GrpcHealthCall.CheckAsync(address, Limit);
        return new HealthProbe(HealthProbeKind.Call, start, start + took, serving, detail);
    }
}

internal enum HealthProbeKind
{
    /// <summary>`disttrain health`, a separate process.</summary>
    Cli,

    /// <summary>A Check on a fresh HTTP/2 connection from the test process.</summary>
    Call,
}

internal sealed record HealthProbe(HealthProbeKind Kind, TimeSpan Start, TimeSpan End, bool Serving, string Detail)
{
    public TimeSpan Took => End - Start;
}
