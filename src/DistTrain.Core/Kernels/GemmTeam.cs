// A small team of persistent worker threads that run the shares of one product alongside the caller.
// Shares are claimed, not assigned: the caller takes any share no worker has started, so a sleeping or
// descheduled worker never delays a product. Which thread runs a share never changes its result.
// Workers keep watching for a while after each product, because products arrive in bursts during a
// training step, then sleep so an idle process costs nothing.
using System.Diagnostics;

namespace DistTrain.Core.Kernels;

internal static unsafe class GemmTeam
{
    // A worker spins for 20 µs after a product, then yields between checks until 200 µs, then sleeps.
    private static readonly long SpinTicks = Stopwatch.Frequency / 50_000;
    private static readonly long YieldTicks = Stopwatch.Frequency / 5_000;
    private static readonly object Gate = new();

    private static Worker[] s_workers = [];
    private static int s_busy;
    private static uint s_product;

    // Claim state: product number (bits 32-63), share count (16-31), next unclaimed share (0-15).
    private static long s_claims;
    private static int s_finished;
    private static GemmProblem s_problem;
    private static delegate*<in GemmProblem, int, int, void> s_work;

    /// <summary>Most shares one product may be split into.</summary>
    public const int MaxShares = 1 << 15;

    /// <summary>
    /// Runs work(problem, share, shares) once for every share in [0, shares).
    /// When another product already holds the team, everything runs on the calling thread as one share.
    /// </summary>
    public static void Run(delegate*<in GemmProblem, int, int, void> work, in GemmProblem problem, int shares)
    {
        if (shares <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            work(problem, 0, 1);
            return;
        }
        try
        {
            shares = Math.Min(shares, MaxShares);
            var workers = EnsureWorkers(shares - 1);
            s_problem = problem;
            s_work = work;
            s_finished = 0;
            s_product++;
            Volatile.Write(ref s_claims, ((long)s_product << 32) | ((long)shares << 16));
            for (int w = 0; w < shares - 1; w++)
            {
                workers[w].Post();
            }
            try
            {
                RunClaimedShares();
            }
            finally
            {
                // Workers may still be reading this product's fields.
                WaitUntilFinished(shares);
            }
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    // Claims and runs shares of the current product until none is left unclaimed.
    private static void RunClaimedShares()
    {
        while (true)
        {
            long claims = Volatile.Read(ref s_claims);
            int next = (int)(claims & 0xFFFF);
            int shares = (int)((claims >> 16) & 0xFFFF);
            if (next >= shares)
            {
                return;
            }
            if (Interlocked.CompareExchange(ref s_claims, claims + 1, claims) != claims)
            {
                continue;
            }
            // The product cannot finish, so its fields cannot change, while this claimed share is running.
            try
            {
                s_work(s_problem, next, shares);
            }
            finally
            {
                Interlocked.Increment(ref s_finished);
            }
        }
    }

    private static void WaitUntilFinished(int shares)
    {
        int spins = 0;
        while (Volatile.Read(ref s_finished) != shares)
        {
            // Yield once spinning has clearly failed: with more threads than cores a worker may need our core.
            if (++spins < 4_000)
            {
                Thread.SpinWait(1);
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    private static Worker[] EnsureWorkers(int count)
    {
        if (s_workers.Length >= count)
        {
            return s_workers;
        }
        lock (Gate)
        {
            var workers = new Worker[count];
            Array.Copy(s_workers, workers, s_workers.Length);
            for (int w = s_workers.Length; w < count; w++)
            {
                workers[w] = new Worker(w + 1);
            }
            s_workers = workers;
            return workers;
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _posted;
        private int _taken;
        private int _sleeping;

        public Worker(int number)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "gemm-worker-" + number };
            thread.Start();
        }

        /// <summary>Tells this worker a product is ready to be claimed.</summary>
        public void Post()
        {
            Interlocked.Increment(ref _posted);
            if (Interlocked.Exchange(ref _sleeping, 0) == 1)
            {
                _wake.Release();
            }
        }

        private void Loop()
        {
            while (true)
            {
                WaitForPost();
                _taken = Volatile.Read(ref _posted);
                RunClaimedShares();
            }
        }

        private void WaitForPost()
        {
            long start = Stopwatch.GetTimestamp();
            int spins = 0;
            while (Volatile.Read(ref _posted) == _taken)
            {
                if ((++spins & 63) != 0)
                {
                    Thread.SpinWait(1);
                    continue;
                }
                long waited = Stopwatch.GetTimestamp() - start;
                if (waited < SpinTicks)
                {
                    continue;
                }
                if (waited < YieldTicks)
                {
                    // Keep watching, but let any other runnable thread have this core meanwhile.
                    Thread.Yield();
                    continue;
                }
                // Announce sleep, then re-check: a post that raced with the announcement must not be missed.
                Interlocked.Exchange(ref _sleeping, 1);
                if (Volatile.Read(ref _posted) != _taken && Interlocked.Exchange(ref _sleeping, 0) == 1)
                {
                    return;
                }
                _wake.Wait(); // either a post is coming, or the poster already released us
                return;
            }
        }
    }
}
