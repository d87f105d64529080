namespace DistTrain.Abuse.Tests;

/// <summary>
/// The yardsticks of a campaign, from the same training without attacks (a few epochs, with the
/// same health probes running): seconds per epoch, the coordinator's own CPU and its peak memory.
/// </summary>
internal sealed record Calibration(IReadOnlyList<double> EpochSeconds, double CpuOwnCores, long PeakRssKb)
{
    /// <summary>
    /// Long enough for several 1 s CPU windows after the first epoch on a fast machine (an epoch
    /// of the engine took 1.1 s in CI; 3 epochs once left no whole window).
    /// </summary>
    public const int Epochs = 6;

    /// <summary>Seconds of an epoch once warm (the first one includes start-up and JIT).</summary>
    public double SteadyEpochSeconds => Median(EpochSeconds.Skip(1));

    /// <summary>What an unattacked run of <paramref name="epochs"/> epochs would take, seconds.</summary>
    public double SecondsFor(int epochs) => EpochSeconds[0] + ((epochs - 1) * SteadyEpochSeconds);

    public static async Task<Calibration> MeasureAsync(Target target)
    {
        using var run = TrainingRun.Start(Epochs, target.TransportArguments);
        await using var health = new HealthWatch(run.Address);
        await using var memory = new MemoryWatch(run.Gauge);
        memory.StartPeak();
        await run.WaitForFirstEpochAsync(TimeSpan.FromMinutes(2));
        var rates = await CpuRatesUntilExitAsync(run.Gauge, () => run.HasExited);
        var (summary, error) = await run.FinishAsync(TimeSpan.FromMinutes(3));
        if (summary is null)
        {
            throw new InvalidOperationException("the unattacked calibration run failed: " + error);
        }
        if (rates.Count < 2)
        {
            throw new InvalidOperationException($"the unattacked calibration run gave {rates.Count} CPU windows of {Budgets.CpuWindow.TotalSeconds} s after its first epoch; it needs more epochs than {Epochs}");
        }
        // The last window holds the end of the run (evaluation, files), not training.
        return new Calibration(run.EpochSeconds(), Median(rates.SkipLast(1)), memory.PeakKb());
    }

    /// <summary>CPU of a process in consecutive windows of <see cref="Budgets.CpuWindow"/>, cores.</summary>
    public static async Task<List<double>> CpuRatesUntilExitAsync(ProcessGauge gauge, Func<bool> exited, TimeSpan? limit = null)
    {
        var rates = new List<double>();
        var end = Clock.Now + (limit ?? TimeSpan.FromMinutes(5));
        var (lastCpu, lastAt) = (gauge.CpuSeconds(), Clock.Now);
        while (!exited() && Clock.Now < end)
        {
            await Task.Delay(Budgets.CpuWindow);
            var (cpu, at) = (gauge.CpuSeconds(), Clock.Now);
            if (cpu is null || lastCpu is null || exited())
            {
                break;
            }
            rates.Add((cpu.Value - lastCpu.Value) / (at - lastAt).TotalSeconds);
            (lastCpu, lastAt) = (cpu, at);
        }
        return rates;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            throw new InvalidOperationException("no samples to take a median of");
        }
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
