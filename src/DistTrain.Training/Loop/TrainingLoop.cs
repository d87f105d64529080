using System.Diagnostics;
using DistTrain.Core;
using DistTrain.Data;
using DistTrain.Training.Checkpoints;
using DistTrain.Training.Configuration;
using DistTrain.Training.Observability;
using DistTrain.Training.Outputs;
using Microsoft.Extensions.Logging;

namespace DistTrain.Training.Loop;

/// <summary>
/// Synchronous mini-batch SGD (the notes' mBatchSGD): per epoch one seeded permutation, per
/// iteration one mini-batch cut into S shards whose gradient sums are added in shard order, one
/// optimizer step, and the test set evaluated after each epoch. Where the shards are computed is
/// the executor's business; the arithmetic here is the same for one process and for many.
/// </summary>
public sealed class TrainingLoop(TrainingConfiguration config, Dataset data, IShardExecutor executor, ILogger logger)
{
    /// <summary>Test-set samples per evaluation chunk: fixed, so evaluation never depends on the worker count.</summary>
    public const int EvaluationChunk = 1000;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(3);

    /// <summary>Told of every iteration, epoch and checkpoint (metrics, dashboard, timeline, straggler report).</summary>
    public IRunObserver Observer { get; init; } = RunObservers.None;

    /// <summary>Where the weights and the optimizer state live and the step runs: this process unless parameter shards say otherwise.</summary>
    public IParameterStore Parameters { get; init; } = new LocalParameterStore();

    /// <summary>Longest wait for the state of a stopping run to be brought in for its checkpoint.</summary>
    private static readonly TimeSpan StopCheckpointGrace = TimeSpan.FromSeconds(5);

    /// <summary>Where the last checkpoint written (or resumed from) stands.</summary>
    private (long Version, int Epoch, int Iteration)? lastCheckpoint;

    public static int MaxShardSamples(TrainingConfiguration config) =>
        Math.Max((config.BatchSize + config.Shards - 1) / config.Shards, EvaluationChunk);

    public async Task<RunResult> RunAsync(CancellationToken stopping)
    {
        var outputs = new RunOutputs(config.OutputDirectory);
        try
        {
            return await TrainAsync(outputs, stopping);
        }
        catch (StateLostException e)
        {
            throw new StateLostException(lastCheckpoint is { } at
                ? $"{e.Message}. The checkpoint {outputs.CheckpointPath} holds all of the state at weight version {at.Version} (epoch {at.Epoch}, batch {at.Iteration}): continue from it with --resume"
                : $"{e.Message}. No checkpoint was written yet: start the run again");
        }
    }

    private async Task<RunResult> TrainAsync(RunOutputs outputs, CancellationToken stopping)
    {
        config.CheckAgainst(data);
        var layout = new ParameterLayout(config.Network);
        var state = new TrainingState(new float[layout.Count],
            Optimizers.Create(config.Optimizer, layout.Count, config.Momentum));
        var fingerprint = config.Fingerprint();

        if (config.Resume)
        {
            CheckpointFile.Read(outputs.CheckpointPath, fingerprint, state);
            lastCheckpoint = (state.Version, state.Epoch, state.Iteration);
            logger.LogInformation("Resumed from {Checkpoint}: epoch {Epoch}, iteration {Iteration}, weight version {Version}",
                outputs.CheckpointPath, state.Epoch, state.Iteration, state.Version);
        }
        else
        {
            // A fresh run: files of an earlier run in --out would otherwise sit beside the new ones.
            var removed = outputs.RemoveEarlierRun();
            if (removed.Count > 0)
            {
                logger.LogWarning("Fresh run (no --resume): removed {Files} of an earlier run from {OutputDirectory}",
                    string.Join(", ", removed), outputs.Directory);
            }
            Initializer.Initialize(config.Network, state.Parameters, config.Seed);
        }

        var perEpoch = MiniBatches.PerEpoch(data.Train.Count, config.BatchSize);
        var update = new ParameterUpdate(config, layout, state.Optimizer, (long)perEpoch * config.Epochs);
        logger.LogInformation("Training {Epochs} epochs of {Iterations} iterations, {Shards} shards each; optimizer step on {Threads} threads",
            config.Epochs, perEpoch, config.Shards, update.Threads);
        var store = Parameters;
        await store.OpenAsync(state, update, stopping);
        if (store.HoldsStateElsewhere && lastCheckpoint is null)
        {
            // Part of the state can now be lost with another process: from here on a checkpoint always exists.
            await WriteCheckpointAsync(outputs, fingerprint, state, stopping);
        }
        // Executors also stop when the store fails (a slice's owner is lost), without that being a requested stop.
        using var failedOrStopping = store.Failed.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(stopping, store.Failed) : null;
        var working = failedOrStopping?.Token ?? stopping;
        var shards = ShardPlan.Cut(config.BatchSize, config.Shards);
        var outcomes = Enumerable.Range(0, shards.Length).Select(_ => new ShardOutcome(layout.Count)).ToArray();
        var pixels = new byte[config.BatchSize * data.Train.PixelsPerImage];
        var labels = new byte[config.BatchSize];
        var batch = new BatchView(pixels, labels, data.Train.PixelsPerImage);
        var shuffler = new EpochShuffler(data.Train.Count, config.Seed);
        var stopped = false;
        Observer.RunStarted(new RunStart(config, perEpoch, state.Epoch, state.Iteration, state.History, DateTime.UtcNow));

        while (state.Epoch <= config.Epochs && !stopped)
        {
            var permutation = shuffler.Permutation(state.Epoch);
            var clock = Stopwatch.StartNew();
            var secondsBefore = state.EpochSeconds;
            var lastProgress = Stopwatch.StartNew();
            var samplesAtLastProgress = state.EpochSamples;

            while (state.Iteration < perEpoch)
            {
                if (stopping.IsCancellationRequested)
                {
                    stopped = true;
                    break;
                }
                var started = DateTime.UtcNow;
                BatchGather.Gather(data.Train, MiniBatches.Indices(permutation, state.Iteration, config.BatchSize), pixels, labels);
                var shardsStarted = DateTime.UtcNow;
                try
                {
                    await executor.ComputeGradientsAsync(store.Model(state), batch, shards, outcomes, working);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    // Nothing of this iteration was applied, so the state is still a clean checkpoint.
                    stopped = true;
                    break;
                }
                catch (OperationCanceledException) when (store.Failed.IsCancellationRequested)
                {
                    store.ThrowIfFailed();
                    throw;
                }

                var shardsDone = DateTime.UtcNow;
                var globalIteration = (long)(state.Epoch - 1) * perEpoch + state.Iteration;
                await store.StepAsync(state, outcomes, globalIteration, stopping);
                foreach (var outcome in outcomes)
                {
                    outcome.Release();
                    state.EpochLossSum += outcome.Statistics.LossSum;
                    state.EpochCorrect += outcome.Statistics.Correct;
                    state.EpochSamples += outcome.Statistics.Count;
                }
                state.Version++;
                state.Iteration++;
                state.EpochSeconds = secondsBefore + clock.Elapsed.TotalSeconds;
                Observer.IterationDone(new IterationDone(state.Epoch, state.Iteration, perEpoch, state.Version, config.BatchSize, started, shardsStarted, shardsDone, DateTime.UtcNow,
                    state.EpochLossSum, state.EpochCorrect, state.EpochSamples, state.EpochSeconds));

                if (lastProgress.Elapsed >= ProgressInterval)
                {
                    var rate = (state.EpochSamples - samplesAtLastProgress) / lastProgress.Elapsed.TotalSeconds;
                    logger.LogInformation(
                        "Epoch {Epoch}/{Epochs} batch {Batch}/{Batches} ({Percent:0}%) loss {Loss:0.0000} accuracy {Accuracy:0.0000} {SamplesPerSecond:0} samples/s lr {LearningRate:0.######}",
                        state.Epoch, config.Epochs, state.Iteration, perEpoch, 100.0 * state.Iteration / perEpoch,
                        state.EpochLossSum / state.EpochSamples, (double)state.EpochCorrect / state.EpochSamples, rate, update.RateAt(globalIteration));
                    lastProgress.Restart();
                    samplesAtLastProgress = state.EpochSamples;
                }
                if (state.Version % config.CheckpointEvery == 0 && state.Iteration < perEpoch)
                {
                    // Not cut short by a stop: a stop writes a checkpoint of its own right after.
                    await WriteCheckpointAsync(outputs, fingerprint, state, CancellationToken.None);
                }
            }
            if (stopped)
            {
                break;
            }

            EpochMetrics metrics;
            var evaluationStarted = DateTime.UtcNow;
            try
            {
                metrics = await EvaluateEpochAsync(state, store, working);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                stopped = true;
                break;
            }
            catch (OperationCanceledException) when (store.Failed.IsCancellationRequested)
            {
                store.ThrowIfFailed();
                throw;
            }
            state.History.Add(metrics);
            logger.LogInformation(
                executor.Workers == 1
                    ? "Epoch {Epoch}/{Epochs} done: train loss {TrainLoss:0.0000} accuracy {TrainAccuracy:0.0000}, test loss {TestLoss:0.0000} accuracy {TestAccuracy:0.0000}, {Seconds:0.00} s, {SamplesPerSecond:0} samples/s, {Workers} worker"
                    : "Epoch {Epoch}/{Epochs} done: train loss {TrainLoss:0.0000} accuracy {TrainAccuracy:0.0000}, test loss {TestLoss:0.0000} accuracy {TestAccuracy:0.0000}, {Seconds:0.00} s, {SamplesPerSecond:0} samples/s, {Workers} workers",
                metrics.Epoch, config.Epochs, metrics.TrainLoss, metrics.TrainAccuracy, metrics.TestLoss, metrics.TestAccuracy,
                metrics.Seconds, metrics.SamplesPerSecond, executor.Workers);
            Observer.EpochDone(new EpochDone(metrics, config.Epochs, evaluationStarted, DateTime.UtcNow));
            state.StartEpoch(state.Epoch + 1);
            outputs.WriteEpochFiles(state.History, config.Describe());
            await WriteCheckpointAsync(outputs, fingerprint, state, CancellationToken.None);
        }

        if (stopped)
        {
            // The stop has already cancelled `stopping`; bringing in the state still gets a moment.
            using var grace = new CancellationTokenSource(StopCheckpointGrace);
            try
            {
                await WriteCheckpointAsync(outputs, fingerprint, state, grace.Token);
                logger.LogWarning("Stopped at epoch {Epoch}, iteration {Iteration}; checkpoint written to {Checkpoint}; continue with --resume",
                    state.Epoch, state.Iteration, outputs.CheckpointPath);
            }
            catch (OperationCanceledException) when (grace.IsCancellationRequested)
            {
                logger.LogWarning("Stopped at epoch {Epoch}, iteration {Iteration}; the state did not come in within {Seconds:0} s, so {Checkpoint} stays at weight version {Version}; continue from it with --resume",
                    state.Epoch, state.Iteration, StopCheckpointGrace.TotalSeconds, outputs.CheckpointPath, lastCheckpoint?.Version);
            }
            Observer.RunEnded(completed: false);
            return new RunResult(Completed: false, null, outputs.Directory);
        }

        await store.SyncAsync(state, stopping);
        var last = state.History[^1];
        var trainedSamples = (double)perEpoch * config.BatchSize * config.Epochs;
        var runSeconds = state.History.Sum(m => m.Seconds);
        var summary = new RunSummary(
            last.TestAccuracy, last.TestLoss, last.TrainLoss, config.Epochs, state.Version, runSeconds,
            trainedSamples / runSeconds, executor.Workers, config.Shards, WeightsHash.Sha256(state.Parameters), config.Describe());
        outputs.WriteSummary(summary);
        logger.LogInformation(
            "Finished: test accuracy {TestAccuracy:0.0000}, test loss {TestLoss:0.0000}, {Seconds:0.0} s training, {SamplesPerSecond:0} samples/s, weights sha256 {WeightsSha256}; outputs in {OutputDirectory}",
            summary.FinalTestAccuracy, summary.FinalTestLoss, summary.Seconds, summary.SamplesPerSecond, summary.WeightsSha256, outputs.Directory);
        Observer.RunEnded(completed: true);
        return new RunResult(Completed: true, summary, outputs.Directory);
    }

    private async Task<EpochMetrics> EvaluateEpochAsync(TrainingState state, IParameterStore store, CancellationToken stopping)
    {
        var test = data.Test;
        var chunks = ShardPlan.Cut(test.Count, (test.Count + EvaluationChunk - 1) / EvaluationChunk);
        var results = new ShardStatistics[chunks.Length];
        await executor.EvaluateAsync(store.Model(state),
            new BatchView(test.Pixels, test.Labels, test.PixelsPerImage), chunks, results, stopping);
        double lossSum = 0;
        long correct = 0;
        foreach (var r in results)
        {
            lossSum += r.LossSum;
            correct += r.Correct;
        }
        var samples = Math.Max(1, state.EpochSamples);
        var seconds = Math.Max(state.EpochSeconds, 1e-9);
        return new EpochMetrics(state.Epoch, state.EpochLossSum / samples, (double)state.EpochCorrect / samples,
            lossSum / test.Count, (double)correct / test.Count, seconds, state.EpochSamples / seconds);
    }

    private async Task WriteCheckpointAsync(RunOutputs outputs, string fingerprint, TrainingState state, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        await Parameters.SyncAsync(state, cancellationToken);
        CheckpointFile.Write(outputs.CheckpointPath, fingerprint, state);
        lastCheckpoint = (state.Version, state.Epoch, state.Iteration);
        var done = DateTime.UtcNow;
        logger.LogDebug("Checkpoint at version {Version} written in {Milliseconds:0.0} ms", state.Version, (done - started).TotalMilliseconds);
        Observer.CheckpointWritten(new CheckpointWrite(state.Version, started, done));
    }
}

/// <summary>How a run ended: completed with a summary, or stopped early with a checkpoint.</summary>
public sealed record RunResult(bool Completed, RunSummary? Summary, string OutputDirectory);
