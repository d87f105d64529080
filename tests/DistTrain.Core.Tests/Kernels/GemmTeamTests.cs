// The worker team runs every share of a product exactly once, whoever claims it, and workers that
// went to sleep between products wake up and help again.
using System.Diagnostics;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

public sealed unsafe class GemmTeamTests
{
    private static readonly object Gate = new();
    private static int[] s_runs = [];
    private static int s_shares;
    private static int s_wholeRuns;
    private static int s_wrongCounts;
    private static int s_callerThread;
    private static int s_runsElsewhere;
    private static long s_shareTicks;

    [Fact]
    public void Every_share_runs_exactly_once()
    {
        int split = RunProducts(3000, pause: TimeSpan.Zero, shareTime: TimeSpan.Zero, out _);
        Assert.True(split > 0, "no product was ever split into shares");
    }

    [Fact]
    public void Workers_that_slept_between_products_wake_and_help()
    {
        // Pauses longer than the workers spin, and shares long enough that a woken worker gets one.
        int split = RunProducts(20, pause: TimeSpan.FromMilliseconds(3), shareTime: TimeSpan.FromMilliseconds(5), out int runsElsewhere);
        Assert.True(split > 0, "no product was ever split into shares");
        Assert.True(runsElsewhere > 0, $"workers never ran a share in {split} products");
    }

    private static int RunProducts(int products, TimeSpan pause, TimeSpan shareTime, out int runsElsewhere)
    {
        lock (Gate)
        {
            var problem = default(GemmProblem);
            int split = 0;
            s_callerThread = Environment.CurrentManagedThreadId;
            s_runsElsewhere = 0;
            s_shareTicks = (long)(shareTime.TotalSeconds * Stopwatch.Frequency);
            for (int product = 0; product < products; product++)
            {
                if (pause > TimeSpan.Zero)
                {
                    Thread.Sleep(pause);
                }
                int shares = 2 + product % 4;
                s_runs = new int[shares];
                s_shares = shares;
                s_wholeRuns = 0;
                s_wrongCounts = 0;
                GemmTeam.Run(&Record, problem, shares);

                Assert.Equal(0, s_wrongCounts);
                // A team busy with another test's product runs the whole product as one share instead.
                if (s_wholeRuns == 1)
                {
                    Assert.All(s_runs, runs => Assert.Equal(0, runs));
                    continue;
                }
                Assert.Equal(0, s_wholeRuns);
                for (int share = 0; share < shares; share++)
                {
                    Assert.True(s_runs[share] == 1, $"product {product}: share {share} of {shares} ran {s_runs[share]} times");
                }
                split++;
            }
            runsElsewhere = s_runsElsewhere;
            return split;
        }
    }

    // Runs on worker threads too, so it records instead of asserting.
    private static void Record(in GemmProblem problem, int share, int shares)
    {
        if (shares == 1)
        {
            Interlocked.Increment(ref s_wholeRuns);
            return;
        }
        if (shares != s_shares)
        {
            Interlocked.Increment(ref s_wrongCounts);
            return;
        }
        Interlocked.Increment(ref s_runs[share]);
        if (Environment.CurrentManagedThreadId != s_callerThread)
        {
            Interlocked.Increment(ref s_runsElsewhere);
        }
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() - start < s_shareTicks)
        {
            Thread.SpinWait(10);
        }
    }
}
