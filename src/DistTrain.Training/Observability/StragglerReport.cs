using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Observability;

/// <summary>
/// One summary per epoch, after the epoch line: min, median and p95 of each worker's shard round
/// trips in that epoch (every answer, also a late copy that lost the race: it measures the worker)
/// beside its median compute time, and the workers slower than the others' median by more than the
/// straggler factor, named.
/// </summary>
public sealed class StragglerReport(double factor, ILogger logger) : IRunObserver
{
    private readonly Dictionary<string, (List<double> RoundTrips, List<double> Compute)> answers = new(StringComparer.Ordinal);
    private long speculated;
    private long redispatched;

    public double Factor => factor;

    public void ShardAnswered(in ShardAnswer answer)
    {
        if (answer.Work != ShardWork.Gradient)
        {
            return;
        }
        if (!answers.TryGetValue(answer.Worker, out var lists))
        {
            answers[answer.Worker] = lists = ([], []);
        }
        lists.RoundTrips.Add(answer.RoundTripSeconds);
        lists.Compute.Add(answer.ComputeSeconds);
    }

    public void ShardSpeculated(string worker, string helper, int shard) => speculated++;

    public void ShardRedispatched(string worker, int shard) => redispatched++;

    public void EpochDone(EpochDone epoch)
    {
        var rows = answers.Where(r => r.Value.RoundTrips.Count > 0)
            .Select(r => (Worker: r.Key, Sorted: r.Value.RoundTrips.Order().ToArray(), Compute: Percentiles.Median(r.Value.Compute)))
            .OrderBy(r => r.Worker, StringComparer.Ordinal)
            .ToList();
        answers.Clear();
        if (rows.Count == 0)
        {
            return;
        }
        var table = new StringBuilder();
        foreach (var (worker, sorted, compute) in rows)
        {
            table.Append(CultureInfo.InvariantCulture,
                $"{(table.Length > 0 ? "; " : "")}{worker} {Milliseconds(sorted[0])}/{Milliseconds(Percentiles.OfSorted(sorted, 0.5))}/{Milliseconds(Percentiles.OfSorted(sorted, 0.95))} ms ({sorted.Length} {(sorted.Length == 1 ? "shard" : "shards")}, compute median {Milliseconds(compute)} ms)");
        }
        logger.LogInformation("Epoch {Epoch} shard round trips, min/median/p95 per worker: {Workers}; {Speculated} speculated, {Redispatched} re-dispatched",
            epoch.Metrics.Epoch, table.ToString(), speculated, redispatched);
        speculated = 0;
        redispatched = 0;

        var stragglers = Stragglers.Find(rows.Select(r => (r.Worker, Percentiles.OfSorted(r.Sorted, 0.5))).ToList(), factor);
        if (stragglers.Count > 0)
        {
            logger.LogWarning(stragglers.Count == 1
                    ? "Epoch {Epoch} straggler: {Stragglers} (median round trip over {Factor}x the median of the other workers)"
                    : "Epoch {Epoch} stragglers: {Stragglers} (median round trip over {Factor}x the median of the other workers)",
                epoch.Metrics.Epoch, string.Join(", ", stragglers), factor);
        }
    }

    private static string Milliseconds(double seconds) => (seconds * 1000).ToString(seconds < 0.01 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
}
