using System.Globalization;
using DistTrain.Data;

namespace DistTrain.Training.Observability;

/// <summary>
/// The live state of a run for the dashboard: configuration, progress and ETA, learning curves
/// (per epoch, and the running loss within the epoch), and a table of workers with their recent
/// compute and round-trip times. Fed by the scheduler's events, read by <see cref="Snapshot"/>
/// from any thread.
/// </summary>
public sealed class RunState(double stragglerFactor, TimeProvider? clock = null) : IRunObserver
{
    /// <summary>Answers per worker that its percentiles cover.</summary>
    public const int WindowSize = 256;

    /// <summary>Running-loss points kept; past this every other point is dropped.</summary>
    public const int MaxRunningPoints = 2000;

    private static readonly TimeSpan RunningPointInterval = TimeSpan.FromMilliseconds(250);
    private readonly TimeProvider time = clock ?? TimeProvider.System;
    private readonly Lock gate = new();
    private readonly Dictionary<string, WorkerRow> workers = new(StringComparer.Ordinal);
    private readonly List<EpochPoint> epochs = [];
    private readonly List<RunningPoint> running = [];
    private IReadOnlyDictionary<string, string> configuration = new Dictionary<string, string>();
    private string status = "waiting for workers";
    private int batchSize;
    private int epoch;
    private int epochCount;
    private int iteration;
    private int perEpoch;
    private double samplesPerSecond;
    private DateTime started;
    private DateTime lastRunningPoint;
    private double lastEvaluationSeconds;
    private long rejected;
    private long redispatched;
    private long speculated;
    private long checkpoints;

    public void RunStarted(RunStart start)
    {
        var c = start.Configuration;
        lock (gate)
        {
            configuration = new Dictionary<string, string>
            {
                ["dataset"] = c.Dataset.ToName(),
                ["network"] = string.Join('-', c.Network.LayerSizes),
                ["activation"] = Kebab(c.Network.Activation),
                ["loss"] = Kebab(c.Network.Loss),
                ["optimizer"] = Kebab(c.Optimizer),
                ["learning rate"] = c.LearningRate.ToString(CultureInfo.InvariantCulture),
                ["schedule"] = Kebab(c.Schedule),
                ["batch size"] = c.BatchSize.ToString(CultureInfo.InvariantCulture),
                ["shards"] = c.Shards.ToString(CultureInfo.InvariantCulture),
                ["epochs"] = c.Epochs.ToString(CultureInfo.InvariantCulture),
                ["seed"] = c.Seed.ToString(CultureInfo.InvariantCulture),
                ["wire precision"] = Kebab(c.WirePrecision),
            };
            status = "training";
            epoch = start.Epoch;
            epochCount = c.Epochs;
            batchSize = c.BatchSize;
            iteration = start.Iteration;
            perEpoch = start.IterationsPerEpoch;
            started = start.At;
            epochs.Clear();
            epochs.AddRange(start.History.Select(m => new EpochPoint(m.Epoch, m.TrainLoss, m.TrainAccuracy, m.TestLoss, m.TestAccuracy, m.Seconds, m.SamplesPerSecond)));
        }
    }

    public void IterationDone(in IterationDone it)
    {
        var now = it.StepDone;
        lock (gate)
        {
            epoch = it.Epoch;
            iteration = it.Iteration;
            perEpoch = it.IterationsPerEpoch;
            samplesPerSecond = it.EpochSeconds > 0 ? it.EpochSamples / it.EpochSeconds : 0;
            // The mean of an epoch's first few batches says little (one batch can be all right); from 2% on it is a curve.
            var settled = it.Iteration >= Math.Max(1, it.IterationsPerEpoch / 50);
            if (settled && (now - lastRunningPoint >= RunningPointInterval || it.Iteration == it.IterationsPerEpoch))
            {
                lastRunningPoint = now;
                var samples = Math.Max(1, it.EpochSamples);
                running.Add(new RunningPoint(it.Epoch - 1 + (double)it.Iteration / it.IterationsPerEpoch, it.EpochLossSum / samples, (double)it.EpochCorrect / samples));
                if (running.Count > MaxRunningPoints)
                {
                    Thin(running);
                }
            }
        }
    }

    public void EpochDone(EpochDone done)
    {
        var m = done.Metrics;
        lock (gate)
        {
            epochs.Add(new EpochPoint(m.Epoch, m.TrainLoss, m.TrainAccuracy, m.TestLoss, m.TestAccuracy, m.Seconds, m.SamplesPerSecond));
            lastEvaluationSeconds = (done.EvaluationDone - done.EvaluationStarted).TotalSeconds;
            epoch = m.Epoch + 1;
            iteration = 0;
        }
    }

    public void CheckpointWritten(in CheckpointWrite write)
    {
        lock (gate)
        {
            checkpoints++;
        }
    }

    public void RunEnded(bool completed)
    {
        lock (gate)
        {
            status = completed ? "finished" : "stopped";
        }
    }

    public void WorkerJoined(string worker, DateTime at)
    {
        lock (gate)
        {
            Row(worker).State = "connected";
        }
    }

    public void WorkerLeft(string worker, string reason, DateTime at)
    {
        lock (gate)
        {
            Row(worker).State = "left";
        }
    }

    public void ShardAnswered(in ShardAnswer answer)
    {
        lock (gate)
        {
            var row = Row(answer.Worker);
            row.Shards++;
            row.Compute.Add(answer.ComputeSeconds);
            row.RoundTrip.Add(answer.RoundTripSeconds);
        }
    }

    public void ShardRejected(string worker, int shard, RejectionReason reason)
    {
        lock (gate)
        {
            rejected++;
        }
    }

    public void ShardRedispatched(string worker, int shard)
    {
        lock (gate)
        {
            redispatched++;
        }
    }

    public void ShardSpeculated(string worker, string helper, int shard)
    {
        lock (gate)
        {
            speculated++;
        }
    }

    public RunSnapshot Snapshot()
    {
        lock (gate)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var elapsed = started == default ? 0 : (now - started).TotalSeconds;
            var done = perEpoch == 0 ? 0 : Math.Min(1, ((double)Math.Max(0, epoch - 1) * perEpoch + iteration) / ((double)epochCount * perEpoch));
            double? eta = null;
            if (status is "finished" or "stopped")
            {
                eta = 0;
            }
            else if (samplesPerSecond > 0 && perEpoch > 0)
            {
                var remainingIterations = (double)epochCount * perEpoch - ((double)Math.Max(0, epoch - 1) * perEpoch + iteration);
                var remainingEpochs = Math.Max(0, epochCount - epoch + 1);
                eta = remainingIterations * batchSize / samplesPerSecond + remainingEpochs * lastEvaluationSeconds;
            }
            var windows = workers.ToDictionary(w => w.Key, w => (Compute: w.Value.Compute.Sorted(), RoundTrip: w.Value.RoundTrip.Sorted()));
            var medians = windows.Where(w => w.Value.RoundTrip.Length > 0 && workers[w.Key].State == "connected")
                .Select(w => (w.Key, Percentiles.OfSorted(w.Value.RoundTrip, 0.5))).ToList();
            var stragglers = Stragglers.Find(medians, stragglerFactor).ToHashSet(StringComparer.Ordinal);
            return new RunSnapshot(
                status,
                configuration,
                new ProgressSnapshot(Math.Min(epoch, epochCount), epochCount, iteration, perEpoch, done, samplesPerSecond, elapsed, eta),
                [.. epochs],
                [.. running],
                [.. workers.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => new WorkerSnapshot(
                    w.Key, w.Value.State, w.Value.Shards,
                    Ms(windows[w.Key].Compute, 0.5), Ms(windows[w.Key].Compute, 0.95),
                    Ms(windows[w.Key].RoundTrip, 0.5), Ms(windows[w.Key].RoundTrip, 0.95),
                    stragglers.Contains(w.Key)))],
                new SchedulerCounts(rejected, redispatched, speculated, checkpoints),
                stragglerFactor);
        }
    }

    private WorkerRow Row(string worker)
    {
        if (!workers.TryGetValue(worker, out var row))
        {
            workers[worker] = row = new WorkerRow();
        }
        return row;
    }

    /// <summary>An option's value as the command line spells it: CrossEntropy → cross-entropy, Fp32 → fp32.</summary>
    private static string Kebab(Enum value)
    {
        var name = value.ToString();
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('-');
            }
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    private static double? Ms(double[] sorted, double fraction) => sorted.Length == 0 ? null : Percentiles.OfSorted(sorted, fraction) * 1000;

    /// <summary>Keeps every other point (and the last), so a long run's curve stays a bounded size.</summary>
    private static void Thin(List<RunningPoint> points)
    {
        var last = points[^1];
        var kept = points.Where((_, i) => i % 2 == 0).ToList();
        if (kept[^1] != last)
        {
            kept.Add(last);
        }
        points.Clear();
        points.AddRange(kept);
    }

    private sealed class WorkerRow
    {
        public string State { get; set; } = "connected";

        public long Shards { get; set; }

        public SampleWindow Compute { get; } = new(WindowSize);

        public SampleWindow RoundTrip { get; } = new(WindowSize);
    }
}
