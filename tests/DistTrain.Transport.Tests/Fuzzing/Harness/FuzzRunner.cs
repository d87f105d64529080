using System.Diagnostics;

namespace DistTrain.Fuzzing;

/// <summary>
/// Runs a <see cref="FuzzTarget"/> for its CI case count (or the configured cases or seconds of a
/// longer run) on a thread of its own, watched for hangs. The first broken property stops the run:
/// its input is shrunk and thrown as a <see cref="FuzzFailure"/> naming the seed, the case and the
/// input in hex, so it can be pasted into a regression test.
/// </summary>
internal static class FuzzRunner
{
    // Targets in parallel test classes append to the same report file.
    private static readonly object ReportFile = new();

    public static FuzzReport Run(FuzzTarget target, Action<string>? log = null)
    {
        var seed = FuzzSettings.Seed;
        var seconds = FuzzSettings.Seconds;
        var caseCount = FuzzSettings.Cases ?? target.CiCases;
        var outcomes = new Dictionary<string, long>();
        var clock = Stopwatch.StartNew();
        long cases = 0;
        byte[] current = [];
        long caseStarted = 0;
        long caseRunning = 0;
        (long Case, byte[] Input, Exception Error)? failure = null;

        var worker = new Thread(() =>
        {
            for (long i = 0; seconds is null ? i < caseCount : clock.Elapsed.TotalSeconds < seconds; i++)
            {
                byte[] input = [];
                Volatile.Write(ref caseRunning, i);
                Volatile.Write(ref caseStarted, Stopwatch.GetTimestamp());
                try
                {
                    // Generation is inside: an exception on this thread would end the test process.
                    input = target.Generate(new Random(CaseSeed(seed, target.Name, i)));
                    Volatile.Write(ref current, input);
                    var outcome = target.Check(input);
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                    cases = i + 1;
                }
                catch (Exception e)
                {
                    failure = (i, input, e);
                    cases = i + 1;
                    return;
                }
                finally
                {
                    Volatile.Write(ref caseStarted, 0);
                }
            }
        }) { IsBackground = true, Name = $"fuzz {target.Name}" };
        worker.Start();
        while (!worker.Join(100))
        {
            var started = Volatile.Read(ref caseStarted);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > target.CaseTimeout)
            {
                // The thread cannot be stopped; it is a background thread and the test fails now.
                var hung = Volatile.Read(ref caseRunning);
                throw new FuzzFailure($"fuzz {target.Name}: case {hung} of seed {seed} (replay: DISTTRAIN_FUZZ_SEED={seed} DISTTRAIN_FUZZ_CASES={hung + 1}) "
                    + $"ran longer than {target.CaseTimeout.TotalSeconds} s.\n"
                    + $"input ({Volatile.Read(ref current).Length} bytes): {Hex(Volatile.Read(ref current))}");
            }
        }
        if (failure is { } f)
        {
            var shrunk = Minimizer.Shrink(f.Input, f.Error, target.Check);
            var message = $"fuzz {target.Name}: case {f.Case} of seed {seed} (replay: DISTTRAIN_FUZZ_SEED={seed} DISTTRAIN_FUZZ_CASES={f.Case + 1}) broke a property: "
                + $"{f.Error.GetType().Name}: {f.Error.Message}\n"
                + $"shrunk input ({shrunk.Input.Length} bytes, fails with {shrunk.Error.GetType().Name}: {shrunk.Error.Message}): {Hex(shrunk.Input)}\n"
                + $"original input ({f.Input.Length} bytes): {Hex(f.Input)}";
            log?.Invoke(message);
            throw new FuzzFailure(message, shrunk.Error);
        }
        var report = new FuzzReport(target.Name, seed, cases, clock.Elapsed, outcomes);
        log?.Invoke(report.ToString());
        if (FuzzSettings.ReportPath is { } path)
        {
            lock (ReportFile)
            {
                File.AppendAllText(path, report + Environment.NewLine);
            }
        }
        return report;
    }

    /// <summary>A case's own seed from the run's seed, the target and the case number (stable across processes, unlike string.GetHashCode).</summary>
    internal static int CaseSeed(ulong seed, string target, long index)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in target)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        var x = seed ^ hash ^ ((ulong)index * 0x9E3779B97F4A7C15UL);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return (int)(x ^ (x >> 31));
    }

    private static string Hex(byte[] bytes) =>
        bytes.Length <= 16 * 1024 ? Convert.ToHexString(bytes) : Convert.ToHexString(bytes, 0, 16 * 1024) + "...";
}
