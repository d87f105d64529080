using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Distributed;

/// <summary>
/// How long a process that joins a coordinator (a worker, a parameter server) has been unable to
/// reach it: says so once, then once a minute, notes once that the coordinator is full, and
/// tells when --give-up-after has run out. Containers start in any order, so waiting is normal.
/// </summary>
internal sealed class CoordinatorWait(string coordinator, TimeSpan retry, double giveUpAfterSeconds, string fullMessage, ILogger logger)
{
    /// <summary>The exit code when --give-up-after ran out: nothing answered at the coordinator's address.</summary>
    public const int Unreachable = 4;

    private static readonly TimeSpan Reminder = TimeSpan.FromSeconds(60);

    private readonly TimeSpan giveUpAfter = giveUpAfterSeconds > 0 ? TimeSpan.FromSeconds(giveUpAfterSeconds) : TimeSpan.MaxValue;

    // Time since the coordinator was last reachable; null while it is.
    private Stopwatch? waiting;
    private TimeSpan lastReminder;
    private bool fullNoted;

    /// <summary>The coordinator answered: the next failure starts a new wait.</summary>
    public void Answered()
    {
        waiting = null;
        fullNoted = false;
    }

    /// <summary>Logs the failed attempt <paramref name="e"/> as the wait requires; true when it is time to give up (already logged).</summary>
    public bool GiveUpAfter(Exception e)
    {
        var full = e is RpcException { StatusCode: StatusCode.ResourceExhausted };
        if (waiting is null)
        {
            waiting = Stopwatch.StartNew();
            lastReminder = TimeSpan.Zero;
            if (!full)
            {
                logger.LogInformation("Waiting for the coordinator at {Coordinator} (not reachable yet: {Reason}); trying every {Seconds:0.#} s",
                    coordinator, Reason(e), retry.TotalSeconds);
            }
        }
        else if (waiting.Elapsed - lastReminder >= Reminder)
        {
            lastReminder = waiting.Elapsed;
            logger.LogInformation("Still waiting for the coordinator at {Coordinator} after {Seconds:0} s ({Reason})", coordinator, waiting.Elapsed.TotalSeconds, Reason(e));
        }
        if (full && !fullNoted)
        {
            fullNoted = true;
            logger.LogWarning("{Full} ({Detail}); trying again every {Seconds:0.#} s", fullMessage, ((RpcException)e).Status.Detail, retry.TotalSeconds);
        }
        if (waiting.Elapsed < giveUpAfter)
        {
            return false;
        }
        logger.LogError("Gave up: the coordinator at {Coordinator} was not reachable for {Seconds:0} s (--give-up-after); last error: {Reason}",
            coordinator, waiting.Elapsed.TotalSeconds, Reason(e));
        return true;
    }

    private static string Reason(Exception e) => e is RpcException rpc ? rpc.Status.Detail : e.Message;
}
