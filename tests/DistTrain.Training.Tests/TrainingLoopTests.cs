using System.Xml.Linq;
using DistTrain.Core;
using DistTrain.Data;
using DistTrain.Training.Checkpoints;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.Outputs;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistTrain.Training.Tests;

public sealed class TrainingLoopTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("disttrain-loop-").FullName;
    private readonly Dataset data = SyntheticData.Create();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private TrainingConfiguration Config(string name, int shards = 1, bool resume = false, int checkpointEvery = 200) =>
        TrainingConfiguration.From(new TrainingOptions
        {
            Epochs = 3, BatchSize = 32, Hidden = "32,16", Lr = 0.05f, Shards = shards, Out = Path.Combine(folder, name),
            Resume = resume, CheckpointEvery = checkpointEvery,
        });

    private async Task<RunResult> Train(TrainingConfiguration config, IShardExecutor? executor = null, CancellationToken stop = default)
    {
        await using var local = new LocalShardExecutor(config.Network, TrainingLoop.MaxShardSamples(config), config.Threads);
        return await new TrainingLoop(config, data, executor ?? local, NullLogger.Instance).RunAsync(stop);
    }

    [Fact]
    public async Task Learns_the_synthetic_task_and_writes_every_output()
    {
        var result = await Train(Config("a"));
        Assert.True(result.Completed);
        Assert.True(result.Summary!.FinalTestAccuracy > 0.9, $"test accuracy {result.Summary.FinalTestAccuracy}");
        var csv = File.ReadAllLines(Path.Combine(result.OutputDirectory, MetricsCsv.FileName));
        Assert.Equal(MetricsCsv.Header, csv[0]);
        Assert.Equal(4, csv.Length);
        XDocument.Load(Path.Combine(result.OutputDirectory, LearningCurveSvg.FileName));
        var summary = RunSummary.Parse(File.ReadAllText(Path.Combine(result.OutputDirectory, RunSummary.FileName)));
        Assert.Equal(64, summary.WeightsSha256.Length);
        Assert.Equal(3 * (512 / 32), summary.Iterations);
        Assert.True(File.Exists(Path.Combine(result.OutputDirectory, CheckpointFile.FileName)));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_bits()
    {
        var a = await Train(Config("a"));
        var b = await Train(Config("b"));
        Assert.Equal(a.Summary!.WeightsSha256, b.Summary!.WeightsSha256);
    }

    [Fact]
    public async Task A_stopped_run_resumes_to_the_same_bits()
    {
        var whole = await Train(Config("whole"));

        using var stop = new CancellationTokenSource();
        var config = Config("interrupted", checkpointEvery: 5);
        await using (var local = new LocalShardExecutor(config.Network, TrainingLoop.MaxShardSamples(config), config.Threads))
        {
            var stopping = new StopAfter(local, calls: 21, stop);
            var first = await new TrainingLoop(config, data, stopping, NullLogger.Instance).RunAsync(stop.Token);
            Assert.False(first.Completed);
        }
        var resumed = await Train(Config("interrupted", resume: true));
        Assert.True(resumed.Completed);
        Assert.Equal(whole.Summary!.WeightsSha256, resumed.Summary!.WeightsSha256);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(resumed.OutputDirectory, MetricsCsv.FileName)).Length);
    }

    [Fact]
    public async Task A_checkpoint_of_another_configuration_is_refused()
    {
        await Train(Config("a"));
        var other = Config("a", resume: true) with { LearningRate = 0.1f };
        var e = await Assert.ThrowsAsync<CheckpointException>(() => Train(other));
        Assert.Contains("different configuration", e.Message);
    }

    [Fact]
    public async Task A_damaged_checkpoint_is_refused()
    {
        var result = await Train(Config("a"));
        var path = Path.Combine(result.OutputDirectory, CheckpointFile.FileName);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var e = await Assert.ThrowsAsync<CheckpointException>(() => Train(Config("a", resume: true)));
        Assert.Contains("checksum", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task Resuming_without_a_checkpoint_says_so()
    {
        var e = await Assert.ThrowsAsync<CheckpointException>(() => Train(Config("none", resume: true)));
        Assert.Contains("no checkpoint", e.Message);
    }

    [Fact]
    public async Task A_diverging_run_stops_with_a_message_to_lower_the_learning_rate()
    {
        var config = Config("diverge") with { LearningRate = 1e30f };
        var e = await Assert.ThrowsAsync<TrainingDivergedException>(() => Train(config));
        Assert.Contains("lower --lr", e.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(6)]
    public async Task Sharded_gradient_equals_the_unsharded_one_to_float_rounding(int shards)
    {
        var config = Config("g", shards: shards);
        var layout = new ParameterLayout(config.Network);
        var parameters = new float[layout.Count];
        Initializer.Initialize(config.Network, parameters, 3);
        var pixels = data.Train.PixelsOf(0, 96).ToArray();
        var labels = data.Train.LabelsOf(0, 96).ToArray();
        var batch = new BatchView(pixels, labels, 784);

        async Task<float[]> Gradient(int s)
        {
            var plan = ShardPlan.Cut(96, s);
            var outcomes = plan.Select(_ => new ShardOutcome(layout.Count)).ToArray();
            await using var executor = new LocalShardExecutor(config.Network, 96, threads: 2);
            await executor.ComputeGradientsAsync(new ModelVersion(0, parameters), batch, plan, outcomes, default);
            var sum = outcomes[0].Gradient.ToArray();
            foreach (var o in outcomes.Skip(1))
            {
                GradientMath.Add(o.Gradient, sum);
            }
            return sum;
        }

        var whole = await Gradient(1);
        var sharded = await Gradient(shards);
        double diff = 0, norm = 0;
        for (int i = 0; i < whole.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(whole[i] - sharded[i]));
            norm = Math.Max(norm, Math.Abs(whole[i]));
        }
        Assert.True(diff <= 1e-5 * norm, $"max difference {diff:E3} against max magnitude {norm:E3}");
    }

    [Fact]
    public async Task A_fresh_run_removes_the_outputs_of_an_earlier_run_before_it_writes()
    {
        var config = Config("reused", checkpointEvery: 5);
        var outDir = Directory.CreateDirectory(config.OutputDirectory).FullName;
        foreach (var name in RunOutputs.FileNames)
        {
            File.WriteAllText(Path.Combine(outDir, name), "from an earlier run");
        }
        File.WriteAllText(Path.Combine(outDir, "notes.txt"), "the user's own file");

        // Stopped in its first epoch: a new checkpoint, but no epoch files or summary of its own yet.
        using var stop = new CancellationTokenSource();
        var logger = new RecordingLogger();
        await using (var local = new LocalShardExecutor(config.Network, TrainingLoop.MaxShardSamples(config), config.Threads))
        {
            var result = await new TrainingLoop(config, data, new StopAfter(local, calls: 7, stop), logger).RunAsync(stop.Token);
            Assert.False(result.Completed);
        }

        Assert.False(File.Exists(Path.Combine(outDir, RunSummary.FileName)), "the earlier run's summary.json is still there");
        Assert.False(File.Exists(Path.Combine(outDir, MetricsCsv.FileName)), "the earlier run's metrics.csv is still there");
        Assert.False(File.Exists(Path.Combine(outDir, LearningCurveSvg.FileName)), "the earlier run's learning-curves.svg is still there");
        Assert.Equal("the user's own file", File.ReadAllText(Path.Combine(outDir, "notes.txt")));
        Assert.Contains(logger.Lines, l => l.Contains("removed metrics.csv, learning-curves.svg, summary.json, checkpoint.bin", StringComparison.Ordinal));
        // The checkpoint there now is this run's: it resumes to the bits of an uninterrupted run.
        var resumed = await Train(Config("reused", resume: true));
        Assert.Equal((await Train(Config("whole"))).Summary!.WeightsSha256, resumed.Summary!.WeightsSha256);
    }

    [Fact]
    public async Task A_resumed_run_keeps_the_outputs_it_continues()
    {
        using var stop = new CancellationTokenSource();
        var config = Config("kept", checkpointEvery: 5);
        await using (var local = new LocalShardExecutor(config.Network, TrainingLoop.MaxShardSamples(config), config.Threads))
        {
            // Past the first epoch (16 iterations), so metrics.csv exists.
            await new TrainingLoop(config, data, new StopAfter(local, calls: 20, stop), NullLogger.Instance).RunAsync(stop.Token);
        }
        var metrics = Path.Combine(config.OutputDirectory, MetricsCsv.FileName);
        Assert.Equal(2, File.ReadAllLines(metrics).Length);

        var resumed = await Train(Config("kept", resume: true));

        Assert.True(resumed.Completed);
        Assert.Equal(4, File.ReadAllLines(metrics).Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task The_loop_steps_on_the_thread_count_it_was_given(int threads)
    {
        var config = Config("threads") with { Epochs = 1, Threads = threads };
        var logger = new RecordingLogger();
        await using var local = new LocalShardExecutor(config.Network, TrainingLoop.MaxShardSamples(config), config.Threads);

        await new TrainingLoop(config, data, local, logger).RunAsync(default);

        Assert.Contains(logger.Lines, l => l.EndsWith($"optimizer step on {threads} threads", StringComparison.Ordinal));
    }

    /// <summary>Passes calls through and requests a stop after a number of them, like a SIGTERM mid-run.</summary>
    private sealed class StopAfter(IShardExecutor inner, int calls, CancellationTokenSource stop) : IShardExecutor
    {
        private int count;

        public int Workers => inner.Workers;

        public async Task ComputeGradientsAsync(ModelVersion model, BatchView batch, IReadOnlyList<Shard> shards, ShardOutcome[] outcomes, CancellationToken cancellationToken)
        {
            await inner.ComputeGradientsAsync(model, batch, shards, outcomes, cancellationToken);
            if (++count == calls)
            {
                await stop.CancelAsync();
            }
        }

        public Task EvaluateAsync(ModelVersion model, BatchView data, IReadOnlyList<Shard> chunks, ShardStatistics[] results, CancellationToken cancellationToken) =>
            inner.EvaluateAsync(model, data, chunks, results, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
