// The worker team runs every share of a product exactly once, whoever claims it.
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

public sealed unsafe class GemmTeamTests
{
    private static readonly object Gate = new();
    private static int[] s_runs = [];
    private static int s_shares;
    private static int s_wholeRuns;
    private static int s_wrongCounts;

    [Fact]
    public void Every_share_runs_exactly_once()
    {
        lock (Gate)
        {
            var problem = default(GemmProblem);
            int split = 0;
            for (int product = 0; product < 3000; product++)
            {
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
            Assert.True(split > 0, "no product was ever split into shares");
        }
    }

    // Runs on worker threads too, so it records instead of asserting.
    private static void Record(in GemmProblem problem, int share, int shares)
    {
        if (shares == 1)
        {
            Interlocked.Increment(ref s_wholeRuns);
        }
        else if (shares != s_shares)
        {
            Interlocked.Increment(ref s_wrongCounts);
        }
        else
        {
            Interlocked.Increment(ref s_runs[share]);
        }
    }
}
