namespace DistTrain.Abuse.Tests;

/// <summary>
/// Samples a process's VmRSS every 50 ms, next to the kernel's own peak (VmHWM): the kernel's
/// is exact, the samples still work where clear_refs is refused.
/// </summary>
internal sealed class MemoryWatch : IAsyncDisposable
{
    private readonly ProcessGauge gauge;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private long sampledPeakKb;
    private bool kernelPeakReset;
    private bool disposed;

    public MemoryWatch(ProcessGauge gauge)
    {
        this.gauge = gauge;
        loop = Task.Run(SampleAsync);
    }

    /// <summary>Starts a new peak; returns resident memory now (KB).</summary>
    public long StartPeak()
    {
        var now = gauge.RssKb() ?? 0;
        Interlocked.Exchange(ref sampledPeakKb, now);
        kernelPeakReset = gauge.ResetPeak();
        return now;
    }

    /// <summary>Peak resident memory since <see cref="StartPeak"/>, KB.</summary>
    public long PeakKb()
    {
        var sampled = Interlocked.Read(ref sampledPeakKb);
        return kernelPeakReset && gauge.PeakRssKb() is { } kernel ? Math.Max(kernel, sampled) : sampled;
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    private async Task SampleAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            if (gauge.RssKb() is { } rss)
            {
                long seen;
                do
                {
                    seen = Interlocked.Read(ref sampledPeakKb);
                }
                while (rss > seen && Interlocked.CompareExchange(ref sampledPeakKb, rss, seen) != seen);
            }
            try
            {
                await Task.Delay(50, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
