using DistTrain.Core;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;

namespace DistTrain.Training.Tests;

/// <summary>
/// The step runs block by block for speed; these tests hold it to the bits of the plain
/// whole-vector passes (copy, add in shard order, scale, decay, optimizer step).
/// </summary>
public sealed class ParameterUpdateTests
{
    // 784-32-10: 25,450 parameters, so the first weight matrix spans a block boundary and the last block is partial.
    private static TrainingConfiguration Config(string optimizer, float weightDecay, int shards, int threads = 1) =>
        TrainingConfiguration.From(new TrainingOptions
        {
            Hidden = "32", BatchSize = 96, Lr = 0.05f, Optimizer = optimizer, WeightDecay = weightDecay, Shards = shards, Threads = threads,
        });

    [Theory]
    [InlineData("sgd", 0f, 1, 1)]
    [InlineData("sgd", 1e-3f, 2, 3)]
    [InlineData("momentum", 0f, 2, 1)]
    [InlineData("momentum", 0f, 2, 2)]
    [InlineData("momentum", 1e-3f, 3, 4)]
    [InlineData("adam", 0f, 6, 2)]
    [InlineData("adam", 1e-3f, 2, 1)]
    public void A_blocked_step_gives_the_bits_of_whole_vector_passes(string optimizer, float weightDecay, int shards, int threads)
    {
        var config = Config(optimizer, weightDecay, shards, threads);
        var layout = new ParameterLayout(config.Network);
        Assert.True(layout.Count > ParameterUpdate.BlockSize && layout.Count % ParameterUpdate.BlockSize != 0);
        var random = new Random(11);
        var blocked = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        var reference = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        var update = new ParameterUpdate(config, layout, blocked, totalIterations: 10);
        float[] start = [.. Enumerable.Range(0, layout.Count).Select(_ => random.NextSingle() - 0.5f)];
        float[] parameters = [.. start];
        float[] expected = [.. start];
        var outcomes = Enumerable.Range(0, shards).Select(_ => new ShardOutcome(layout.Count)).ToArray();
        var scratch = new float[layout.Count];

        for (var iteration = 0; iteration < 4; iteration++)
        {
            foreach (var outcome in outcomes)
            {
                for (var i = 0; i < layout.Count; i++)
                {
                    // Wide magnitudes, so the order of additions would show in the bits.
                    outcome.Buffer[i] = (random.NextSingle() - 0.5f) * MathF.Pow(10, random.Next(-3, 4));
                }
            }
            update.Apply(parameters, outcomes, scratch, iteration);

            var g = new float[layout.Count];
            outcomes[0].Buffer.CopyTo(g, 0);
            foreach (var outcome in outcomes.Skip(1))
            {
                GradientMath.Add(outcome.Buffer, g);
            }
            GradientMath.Scale(g, 1f / config.BatchSize);
            WeightDecay.AddGradient(layout, expected, g, weightDecay);
            reference.Step(expected, g, update.RateAt(iteration));

            Assert.True(g.AsSpan().SequenceEqual(scratch), $"gradient differs at iteration {iteration}");
            Assert.True(expected.AsSpan().SequenceEqual(parameters), $"parameters differ at iteration {iteration}");
            Assert.True(reference.State.AsSpan().SequenceEqual(blocked.State), $"optimizer state differs at iteration {iteration}");
            Assert.Equal(reference.Steps, blocked.Steps);
        }
        Assert.False(start.AsSpan().SequenceEqual(parameters));
    }

    [Fact]
    public void A_gradient_that_is_not_finite_in_the_last_block_changes_nothing()
    {
        var config = Config("momentum", 0f, 2, threads: 2);
        var layout = new ParameterLayout(config.Network);
        var optimizer = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        var update = new ParameterUpdate(config, layout, optimizer, totalIterations: 10);
        var outcomes = new[] { new ShardOutcome(layout.Count), new ShardOutcome(layout.Count) };
        Array.Fill(outcomes[0].Buffer, 1f);
        Array.Fill(outcomes[1].Buffer, 1f);
        var parameters = new float[layout.Count];
        update.Apply(parameters, outcomes, new float[layout.Count], 0);
        float[] before = [.. parameters];
        var state = optimizer.State;

        outcomes[1].Buffer[^1] = float.MaxValue;
        outcomes[0].Buffer[^1] = float.MaxValue; // finite shards whose sum overflows
        var error = Assert.Throws<TrainingDivergedException>(() => update.Apply(parameters, outcomes, new float[layout.Count], 1));

        Assert.Contains("iteration 1", error.Message);
        Assert.True(before.AsSpan().SequenceEqual(parameters), "parameters changed");
        Assert.True(state.AsSpan().SequenceEqual(optimizer.State), "optimizer state changed");
        Assert.Equal(1, optimizer.Steps);
    }

    [Fact]
    public void One_thread_keeps_the_whole_step_on_the_calling_thread()
    {
        var config = Config("momentum", 0f, 2, threads: 1);
        var layout = new ParameterLayout(config.Network);
        var optimizer = new ThreadRecordingOptimizer(Optimizers.Create(config.Optimizer, layout.Count, config.Momentum), rendezvous: 1);
        var update = new ParameterUpdate(config, layout, optimizer, totalIterations: 10);
        var outcomes = new[] { new ShardOutcome(layout.Count), new ShardOutcome(layout.Count) };

        update.Apply(new float[layout.Count], outcomes, new float[layout.Count], 0);

        Assert.Equal(1, update.Threads);
        Assert.Equal([Environment.CurrentManagedThreadId], optimizer.Threads);
    }

    [Fact]
    public void The_configured_thread_count_runs_blocks_at_the_same_time()
    {
        // Each block's first visit waits for the other thread: the step only finishes when two
        // threads run its blocks together, which a step ignoring --threads 2 would not do.
        var config = Config("momentum", 0f, 2, threads: 2);
        var layout = new ParameterLayout(config.Network);
        Assert.True(layout.Count > ParameterUpdate.BlockSize, "the test needs at least two blocks");
        var optimizer = new ThreadRecordingOptimizer(Optimizers.Create(config.Optimizer, layout.Count, config.Momentum), rendezvous: 2);
        var update = new ParameterUpdate(config, layout, optimizer, totalIterations: 10);
        var outcomes = new[] { new ShardOutcome(layout.Count), new ShardOutcome(layout.Count) };

        update.Apply(new float[layout.Count], outcomes, new float[layout.Count], 0);

        Assert.Equal(2, update.Threads);
        Assert.Equal(2, optimizer.Threads.Count);
        Assert.True(optimizer.MetAll, "two blocks never ran at the same time");
    }

    /// <summary>An optimizer that records which threads run its slices and lets them meet once.</summary>
    private sealed class ThreadRecordingOptimizer(IOptimizer inner, int rendezvous) : IOptimizer
    {
        private readonly CountdownEvent arrivals = new(rendezvous);
        private readonly HashSet<int> threads = [];

        public IReadOnlyCollection<int> Threads
        {
            get
            {
                lock (threads)
                {
                    return [.. threads];
                }
            }
        }

        public bool MetAll { get; private set; }

        public OptimizerKind Kind => inner.Kind;

        public long Steps => inner.Steps;

        public float[] State => inner.State;

        public int StateVectors => inner.StateVectors;

        public ReadOnlySpan<float> StateVector(int index) => inner.StateVector(index);

        public void Step(Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate) => inner.Step(parameters, gradient, learningRate);

        public void StepSlice(int offset, Span<float> parameters, ReadOnlySpan<float> gradient, float learningRate)
        {
            bool first;
            lock (threads)
            {
                first = threads.Add(Environment.CurrentManagedThreadId);
            }
            if (first && !arrivals.IsSet)
            {
                arrivals.Signal();
                if (arrivals.Wait(TimeSpan.FromSeconds(20)))
                {
                    MetAll = true;
                }
            }
            inner.StepSlice(offset, parameters, gradient, learningRate);
        }

        public void EndStep() => inner.EndStep();

        public void Restore(ReadOnlySpan<float> state, long steps) => inner.Restore(state, steps);
    }
}
