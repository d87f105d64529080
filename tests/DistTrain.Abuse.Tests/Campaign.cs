using System.Collections.Concurrent;
using System.Globalization;

namespace DistTrain.Abuse.Tests;

/// <summary>
/// Every attack against one target, one after another, each from its own process: for a transport,
/// against a real training run (coordinator and worker) sized from an unattacked calibration to
/// outlast them; for the Kestrel peer, against the peer. So that each attack starts clean, the
/// server is replaced before the next one when it has died, holds more than the memory budget, or
/// is still busy 2 s after the last attack (a replacement run is sized for the attacks left).
/// Runs once per target; every test reads from it.
/// </summary>
internal sealed class Campaign
{
    private static readonly TimeSpan GapBetweenAttacks = TimeSpan.FromSeconds(0.2);
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(2);
    private static readonly ConcurrentDictionary<string, Lazy<Task<Campaign>>> Started = new();

    private readonly Dictionary<string, TrainingRun> runOfAttack = [];
    private readonly Dictionary<string, TrainingRun> runOfRepeat = [];

    private Campaign(Target target) => Target = target;

    public Target Target { get; }

    public Dictionary<string, AttackOutcome> Outcomes { get; } = [];

    /// <summary>The second try of each attack whose first missed a budget with the server alive.</summary>
    public Dictionary<string, AttackOutcome> Repeats { get; } = [];

    /// <summary>The unattacked yardsticks (training targets only).</summary>
    public Calibration? Unattacked { get; private set; }

    /// <summary>The training runs in order; more than one when a run had to be replaced.</summary>
    public List<RunRecord> Runs { get; } = [];

    /// <summary>The unattacked bits (see <see cref="UnattackedReference"/>) of each length of run that finished.</summary>
    public Dictionary<int, string> ReferenceSha { get; } = [];

    public List<string> ReferenceErrors { get; } = [];

    public static Task<Campaign> For(string target) =>
        Started.GetOrAdd(target, name => new Lazy<Task<Campaign>>(() => RunAsync(Target.Named(name)))).Value;

    private static async Task<Campaign> RunAsync(Target target)
    {
        var campaign = new Campaign(target);
        await campaign.AttackTrainingAsync();
        CampaignReport.Write(campaign);
        return campaign;
    }

    private async Task AttackTrainingAsync()
    {
        await EnsureDataAsync();
        var unattacked = Unattacked = await Calibration.MeasureAsync(Target);
        var attacks = AttackCatalog.Selected();
        var runs = new List<TrainingRun>();
        try
        {
            var run = await StartRunAsync(runs, attacks);
            var health = new HealthWatch(run.Address);
            var memory = new MemoryWatch(run.Gauge);
            try
            {
                AttackOutcome? previous = null;
                async Task<AttackOutcome> InTurnAsync(IReadOnlyList<Attack> list, int i, Dictionary<string, TrainingRun> runOf)
                {
                    var note = "";
                    var reason = await WhyReplaceAsync(run, list[i], previous, unattacked.CpuOwnCores, MemoryMark(unattacked.PeakRssKb));
                    Conclude(previous, run, memory);
                    if (reason is null && WouldEndDuring(run, list[i], unattacked))
                    {
                        // Its last epochs would fall inside the attack: it finishes unattacked, and counts for the bits.
                        reason = $"it would have finished during {list[i].Name}";
                        await run.FinishAsync(TimeSpan.FromSeconds(60 + unattacked.SecondsFor(run.Epochs)));
                    }
                    if (reason is not null)
                    {
                        Runs[^1].ReplacedBecause = reason;
                        await health.PauseAsync();
                        if (!run.HasExited)
                        {
                            run.Dispose();
                            Runs[^1].Killed = true;
                        }
                        await memory.DisposeAsync();
                        run = await StartRunAsync(runs, list.Skip(i).ToList());
                        health.Resume(run.Address);
                        memory = new MemoryWatch(run.Gauge);
                        note = $"training run {Runs.Count} was started for this attack: the last one was replaced because {reason}";
                    }
                    Runs[^1].Attacks.Add(list[i].Name);
                    runOf[list[i].Name] = run;
                    var outcome = await AttackOnceAsync(list[i], run, health, memory, unattacked.CpuOwnCores, note);
                    await Task.Delay(GapBetweenAttacks);
                    return outcome;
                }
                for (var i = 0; i < attacks.Count; i++)
                {
                    previous = Outcomes[attacks[i].Name] = await InTurnAsync(attacks, i, runOfAttack);
                }
                // A budget missed once by a few percent on a shared 2-core machine can be the
                // machine's noise: an attack that missed one but left the server alive runs once
                // more, and fails only when it misses again. A server that died is not repeated.
                TakeHealth(health);
                var again = attacks.Where(a => Outcomes[a.Name] is { Survived: true, Failures.Count: > 0 }).ToList();
                for (var i = 0; i < again.Count; i++)
                {
                    previous = Repeats[again[i].Name] = await InTurnAsync(again, i, runOfRepeat);
                }
                await SettleAsync(run, previous, unattacked.CpuOwnCores);
                Conclude(previous, run, memory);
                await health.DisposeAsync();
                TakeHealth(health);
            }
            finally
            {
                await memory.DisposeAsync();
                await health.DisposeAsync();
            }
            await FinishRunsAsync(runs);
        }
        finally
        {
            foreach (var run in runs)
            {
                run.Dispose();
            }
        }
        foreach (var epochs in Runs.Where(r => r.WeightsSha256 is not null).Select(r => r.Epochs).Distinct())
        {
            try
            {
                ReferenceSha[epochs] = await UnattackedReference.ShaAsync(epochs);
            }
            catch (InvalidOperationException e)
            {
                ReferenceErrors.Add(e.Message);
            }
        }
    }

    private static async Task<AttackOutcome> AttackOnceAsync(Attack attack, IServerUnderAttack server, HealthWatch health, MemoryWatch memory, double cpuOwn, string note)
    {
        var rssBefore = memory.StartPeak();
        var logAtStart = server.LogLines;
        var start = Clock.Now;
        var report = await AttackScript.RunAsync(attack, server.Address);
        var end = Clock.Now;
        await Clock.Until(end + Budgets.CpuGrace);
        var (cpuFrom, fromAt) = (server.Gauge.CpuSeconds(), Clock.Now);
        await Clock.Until(end + Budgets.After);
        var (cpuTo, toAt) = (server.Gauge.CpuSeconds(), Clock.Now);
        await health.WaitForProbesSinceAsync(end, TimeSpan.FromSeconds(10));
        return new AttackOutcome
        {
            Attack = attack,
            Report = report,
            Survived = !server.HasExited,
            ExitDescription = server.ExitDescription,
            RssBeforeKb = rssBefore,
            PeakRssKb = memory.PeakKb(),
            CpuAfterCores = cpuFrom is { } a && cpuTo is { } b ? (b - a) / (toAt - fromAt).TotalSeconds : null,
            CpuOwnCores = cpuOwn,
            Start = start,
            End = end,
            AfterUntil = Clock.Now > end + Budgets.After ? Clock.Now : end + Budgets.After,
            LogLinesAtStart = logAtStart,
            LogLines = server.LogLines - logAtStart,
            Note = note,
        };
    }

    /// <summary>An attack's memory peak and log lines, taken when the next attack is about to begin.</summary>
    private static void Conclude(AttackOutcome? outcome, IServerUnderAttack server, MemoryWatch memory)
    {
        if (outcome is not null)
        {
            outcome.PeakRssKb = Math.Max(outcome.PeakRssKb, memory.PeakKb());
            outcome.LogLines = server.LogLines - outcome.LogLinesAtStart;
        }
    }

    /// <summary>Each attack's health probes, once every probe has ended (one under way at a window's end counts too).</summary>
    private void TakeHealth(HealthWatch health)
    {
        foreach (var outcome in Outcomes.Values.Concat(Repeats.Values))
        {
            outcome.TakeHealthFrom(health);
        }
    }

    /// <summary>Why the next attack needs a fresh server, or null when this one starts it clean.</summary>
    private static async Task<string?> WhyReplaceAsync(IServerUnderAttack server, Attack next, AttackOutcome? previous, double cpuOwn, long memoryMarkKb)
    {
        // Settling first: a server still busy with the last attack's bytes may still be growing.
        var busy = server.HasExited ? null : await SettleAsync(server, previous, cpuOwn);
        if (server.HasExited)
        {
            return $"it had ended before {next.Name} ({server.ExitDescription.Split('\n')[0]})";
        }
        if (server.Gauge.RssKb() is { } rss && rss > memoryMarkKb)
        {
            return $"it held {AttackOutcome.Mb(rss)} MB (more than {AttackOutcome.Mb(memoryMarkKb)}, halfway from unattacked to the {AttackOutcome.Mb(Budgets.RssKb)} MB budget) after {previous?.Attack.Name}";
        }
        return busy is { } cpu
            ? string.Create(CultureInfo.InvariantCulture, $"it was still busy ({cpu:0.00} cores against its own {cpuOwn:0.00}) {(Budgets.After + SettleLimit).TotalSeconds:0.#} s after {previous!.Attack.Name}")
            : null;
    }

    /// <summary>
    /// Memory above which a server is replaced before the next attack: halfway from its unattacked
    /// peak to the budget, so that no attack inherits so much of another's memory that it fails for it.
    /// </summary>
    private static long MemoryMark(long unattackedKb) => unattackedKb + ((Budgets.RssKb - unattackedKb) / 2);

    /// <summary>Whether the run's epochs left, at its fastest recent pace, end before the attack and its checks would.</summary>
    private static bool WouldEndDuring(TrainingRun run, Attack next, Calibration unattacked)
    {
        var needed = next.Seconds + 1 + Budgets.After.TotalSeconds + SettleLimit.TotalSeconds;
        return run.SecondsLeft(unattacked.SteadyEpochSeconds) < needed;
    }

    /// <summary>
    /// When the last attack left the server busy, waits up to <see cref="SettleLimit"/> for its CPU
    /// to come back to its own; the CPU it is still at then, or null once it has settled.
    /// </summary>
    private static async Task<double?> SettleAsync(IServerUnderAttack server, AttackOutcome? previous, double cpuOwn)
    {
        if (previous?.CpuAfterCores is not { } cpu || cpu <= cpuOwn + Budgets.CpuTolerance)
        {
            return null;
        }
        var settleEnd = Clock.Now + SettleLimit;
        while (Clock.Now < settleEnd)
        {
            var rates = await Calibration.CpuRatesUntilExitAsync(server.Gauge, () => server.HasExited, Budgets.CpuWindow);
            if (rates.Count == 0 || (cpu = rates[0]) <= cpuOwn + Budgets.CpuTolerance)
            {
                return null;
            }
        }
        return cpu;
    }

    /// <summary>
    /// Epochs enough for the training to outlast <paramref name="attacks"/> with their checks, with
    /// 25% to spare (a run that would still end during an attack finishes first, and another starts).
    /// </summary>
    private static int PlanEpochs(Calibration unattacked, IEnumerable<Attack> attacks)
    {
        var seconds = attacks.Sum(a => a.Seconds + 0.5 + Budgets.After.TotalSeconds + GapBetweenAttacks.TotalSeconds);
        return UnattackedReference.Plan(Math.Max(Calibration.Epochs, (int)Math.Ceiling(1.25 * seconds / unattacked.SteadyEpochSeconds) + 1));
    }

    private async Task<TrainingRun> StartRunAsync(List<TrainingRun> runs, IReadOnlyList<Attack> attacks)
    {
        var epochs = PlanEpochs(Unattacked!, attacks);
        var run = TrainingRun.Start(epochs, Target.TransportArguments, Path.Combine(Repository.ResultsDir, $"abuse-{Target.Name}-run{Runs.Count + 1}-coordinator.log"));
        runs.Add(run);
        Runs.Add(new RunRecord(Runs.Count + 1, epochs));
        await run.WaitForFirstEpochAsync(TimeSpan.FromMinutes(2));
        return run;
    }

    private async Task FinishRunsAsync(List<TrainingRun> runs)
    {
        for (var i = 0; i < runs.Count; i++)
        {
            var record = Runs[i];
            if (record.Killed)
            {
                continue;
            }
            // Room for a run the attacks slowed to a third of its speed.
            var limit = TimeSpan.FromSeconds(60 + (3 * Unattacked!.SecondsFor(record.Epochs)));
            var (summary, error) = await runs[i].FinishAsync(limit);
            record.Error = error;
            if (summary is { } s)
            {
                record.WeightsSha256 = s.GetProperty("weights_sha256").GetString();
                record.Seconds = s.GetProperty("seconds").GetDouble();
            }
        }
        foreach (var (outcomes, runOf) in new[] { (Outcomes, runOfAttack), (Repeats, runOfRepeat) })
        {
            foreach (var (name, run) in runOf)
            {
                // Unattacked speed: the calibration's, or this run's typical epoch when the machine got faster since.
                var epochSeconds = Math.Min(Unattacked!.SteadyEpochSeconds, run.MedianEpochSeconds() ?? double.MaxValue);
                outcomes[name].TrainingDelaySeconds = run.DelayDuring(outcomes[name].Start, outcomes[name].End, epochSeconds);
            }
        }
    }

    private static async Task EnsureDataAsync()
    {
        if (File.Exists(Path.Combine(Repository.DataDir, "mnist", "t10k-labels-idx1-ubyte")))
        {
            return;
        }
        using var fetch = ChildProcess.Start("dotnet", [Repository.DisttrainDll, "fetch-data", "--data-dir", Repository.DataDir]);
        if (await fetch.WaitAsync(TimeSpan.FromMinutes(5)) != 0)
        {
            throw new InvalidOperationException("fetch-data failed:\n" + fetch.Tail());
        }
    }
}
