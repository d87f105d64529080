using System.Runtime.InteropServices;
using DistTrain.Core;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.ParameterShards;
using DistTrain.Training.Protocol;

namespace DistTrain.Training.Tests.ParameterShards;

/// <summary>
/// Slice owners fed every shard's gradient blocks in any order, with duplicates, hold the bits the
/// whole-vector step (<see cref="ParameterUpdate.Apply"/>) computes: weights, optimizer state and step count.
/// </summary>
public sealed class SliceOwnerTests
{
    // 784-48-10: 38,170 parameters, three blocks (the last partial), so a slice holds one or two.
    private static TrainingConfiguration Config(string optimizer, float weightDecay, int shards, string precision = "fp32") =>
        TrainingConfiguration.From(new TrainingOptions
        {
            Hidden = "48", BatchSize = 96, Lr = 0.05f, Optimizer = optimizer, WeightDecay = weightDecay, Shards = shards,
            LrSchedule = "cosine", WirePrecision = precision,
        });

    [Theory]
    [InlineData("sgd", 0f, 1, 2)]
    [InlineData("momentum", 0f, 3, 2)]
    [InlineData("momentum", 1e-3f, 2, 3)]
    [InlineData("adam", 0f, 2, 3)]
    [InlineData("adam", 1e-3f, 4, 2)]
    public void Owners_stepping_blocks_as_they_complete_give_the_bits_of_the_whole_step(string optimizer, float weightDecay, int shards, int slices)
    {
        var config = Config(optimizer, weightDecay, shards);
        var layout = new ParameterLayout(config.Network);
        var random = new Random(17);
        var whole = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        var update = new ParameterUpdate(config, layout, whole, totalIterations: 10);
        float[] parameters = [.. Enumerable.Range(0, layout.Count).Select(_ => random.NextSingle() - 0.5f)];
        var reports = new Reports();
        var owners = SlicePlan.Cut(layout.Count, slices)
            .Select(s => SliceOwner.Create(s, config, layout, 10, version: 0, optimizerSteps: 0, s.WeightsAndState(parameters, whole), reports))
            .ToArray();
        var outcomes = Enumerable.Range(0, shards).Select(_ => new ShardOutcome(layout.Count)).ToArray();
        var scratch = new float[layout.Count];

        var ahead = new Sink();
        for (var version = 0; version < 4; version++)
        {
            foreach (var owner in owners)
            {
                // From version 2 on the sink holds the version before: blocks may come as differences.
                owner.Pull(version + 1, ahead, holdsPrevious: version > 0);
            }
            foreach (var outcome in outcomes)
            {
                for (var i = 0; i < layout.Count; i++)
                {
                    // Wide magnitudes, so the order of additions would show in the bits; zeros of both signs, as black pixels give.
                    outcome.Buffer[i] = random.Next(5) switch
                    {
                        0 => 0f,
                        1 when random.Next(8) == 0 => -0f,
                        _ => (random.NextSingle() - 0.5f) * MathF.Pow(10, random.Next(-3, 4)),
                    };
                }
            }
            // Every (shard, block) once, a third of them twice, in random order.
            var pushes = (from owner in owners
                          from block in SlicePlan.BlocksOf(owner.Slice)
                          from shard in Enumerable.Range(0, shards)
                          select (owner, block.Offset, block.Length, shard)).ToList();
            pushes.AddRange(pushes.Where(_ => random.Next(3) == 0).ToList());
            foreach (var (owner, offset, length, shard) in pushes.OrderBy(_ => random.Next()))
            {
                var bytes = MemoryMarshal.AsBytes(outcomes[shard].Buffer.AsSpan(offset, length));
                // Half the blocks as a worker sends them, without their zeros.
                var bitmap = new byte[ZeroSkipping.BitmapBytes(length)];
                var packed = new byte[bytes.Length];
                var kept = random.Next(2) == 0 ? ZeroSkipping.Pack(bytes, sizeof(float), bitmap, packed) : -1;
                Assert.Equal((PushVerdict.Accepted, (string?)null), kept < 0
                    ? owner.Accept(version, shard, offset, bytes, WirePrecisionKind.Fp32)
                    : owner.Accept(version, shard, offset, packed.AsSpan(0, kept), WirePrecisionKind.Fp32, bitmap));
            }
            update.Apply(parameters, outcomes, scratch, version);

            Assert.All(owners, o => Assert.Equal(version + 1, o.Version));
            Assert.Equal(slices, reports.Stepped.Count(s => s.Version == version + 1));
            var (weights, state, steps) = Gather(owners, layout.Count, whole.StateVectors, version + 1);
            Assert.True(parameters.AsSpan().SequenceEqual(weights), $"weights differ after step {version}");
            Assert.True(whole.State.AsSpan().SequenceEqual(state), $"optimizer state differs after step {version}");
            Assert.Equal(whole.Steps, steps);
            Assert.True(parameters.AsSpan().SequenceEqual(ahead.Assemble(layout.Count, version + 1)), $"pulled weights differ after step {version}");
        }
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")]
    public void Pullers_holding_the_version_before_get_smaller_differences_that_give_the_same_bytes(string precision)
    {
        var config = Config("momentum", 0f, shards: 2, precision);
        var layout = new ParameterLayout(config.Network);
        var random = new Random(23);
        var optimizer = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        float[] start = [.. Enumerable.Range(0, layout.Count).Select(_ => (random.NextSingle() - 0.5f) * 0.1f)];
        var slice = SlicePlan.Cut(layout.Count, 1)[0];
        var owner = SliceOwner.Create(slice, config, layout, 10, version: 0, optimizerSteps: 0, slice.WeightsAndState(start, optimizer), new Reports());
        var holder = new Sink();
        var fresh = new Sink();
        owner.Pull(0, holder);
        var gradient = new float[layout.Count];
        for (var version = 0; version < 3; version++)
        {
            owner.Pull(version + 1, holder, holdsPrevious: true);
            owner.Pull(version + 1, fresh);
            // Small steps, as training takes them; some weights do not move at all (a black pixel's).
            for (var i = 0; i < gradient.Length; i++)
            {
                gradient[i] = i % 5 == 0 ? 0 : (random.NextSingle() - 0.5f) * 1e-3f;
            }
            foreach (var block in SlicePlan.BlocksOf(slice).Select((_, b) => b))
            {
                Push(owner, gradient, shard: 0, block: block, version: version);
                Push(owner, gradient, shard: 1, block: block, version: version);
            }
            Assert.Equal(version + 1, owner.Version);
            // Same bytes either way; the differences are smaller than the blocks (version 1 on: the owner holds the version before).
            var blocks = SlicePlan.Blocks(layout.Count);
            Assert.Equal(fresh.Blocks.Where(b => b.Version == version + 1).Select(b => b.Bytes), holder.Blocks.Where(b => b.Version == version + 1).Select(b => b.Bytes));
            Assert.Empty(fresh.Differences);
            var differences = holder.Differences.Where(d => d.Version == version + 1).ToList();
            Assert.Equal(blocks, differences.Count);
            Assert.All(differences, d => Assert.True(d.WireBytes < holder.Blocks.Single(b => b.Version == d.Version && b.Offset == d.Offset).Bytes.Length * 0.8,
                $"a difference of {d.WireBytes} bytes"));
        }
    }

    [Fact]
    public void Blocks_of_the_next_version_are_handed_out_as_they_are_stepped_while_the_current_state_stays_whole()
    {
        var config = Config("adam", 1e-3f, shards: 2);
        var layout = new ParameterLayout(config.Network);
        var random = new Random(5);
        var optimizer = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        float[] moments = [.. Enumerable.Range(0, 2 * layout.Count).Select(_ => random.NextSingle())];
        optimizer.Restore(moments, steps: 3);
        float[] start = [.. Enumerable.Range(0, layout.Count).Select(_ => random.NextSingle() - 0.5f)];
        var slice = SlicePlan.Cut(layout.Count, 2)[0];
        Assert.Equal(2, SlicePlan.BlocksOf(slice).Count());
        var reports = new Reports();
        var owner = SliceOwner.Create(slice, config, layout, 10, version: 7, optimizerSteps: 3, slice.WeightsAndState(start, optimizer), reports);
        var before = owner.State(7);
        var waiting = new Sink();
        owner.Pull(8, waiting);
        Assert.Empty(waiting.Blocks);
        var gradient = new float[layout.Count];
        Array.Fill(gradient, 0.25f);

        // Block 0 from both shards: it alone is stepped, and the waiting pull gets it.
        Push(owner, gradient, shard: 0, block: 0, version: 7);
        Assert.Empty(waiting.Blocks);
        Push(owner, gradient, shard: 1, block: 0, version: 7);
        Assert.Equal([(8L, 0)], waiting.Blocks.Select(b => (b.Version, b.Offset)));
        Assert.Equal(7, owner.Version);
        // The state of version 7 is still the one it was given, although block 0's is stepped already.
        var during = owner.State(7);
        Assert.Equal(before.Values, during.Values);
        Assert.Equal(3, during.OptimizerSteps);
        // The shard is incomplete: its receipt says so; a version ahead is refused.
        Assert.Equal(PushVerdict.WrongSize, owner.Receipt(7, 0).Verdict);
        Assert.Equal(PushVerdict.WrongVersion, owner.Receipt(8, 0).Verdict);
        var refused = new Sink();
        owner.Pull(6, refused);
        Assert.Single(refused.Refusals);

        Push(owner, gradient, shard: 0, block: 1, version: 7);
        Push(owner, gradient, shard: 1, block: 1, version: 7);
        Assert.Equal(8, owner.Version);
        Assert.Equal([(0, 8L)], reports.Stepped);
        Assert.Equal([0, ParameterUpdate.BlockSize], waiting.Blocks.Select(b => b.Offset));
        Assert.Equal(PushVerdict.Accepted, owner.Receipt(7, 1).Verdict);
        // Version 7 is still whole until the first block of version 9: a recomputed shard can pull it, a checkpoint can take it.
        var late = new Sink();
        owner.Pull(7, late);
        Assert.Equal(2, late.Blocks.Count);
        var previous = owner.State(7);
        Assert.Equal(before.Values, previous.Values);
        Assert.Equal(3, previous.OptimizerSteps);
        Assert.Equal(4, owner.State(8).OptimizerSteps);
        // A late copy of a step taken changes nothing.
        Assert.Equal(PushVerdict.Accepted, Push(owner, gradient, shard: 0, block: 0, version: 7));

        Push(owner, gradient, shard: 0, block: 0, version: 8);
        Push(owner, gradient, shard: 1, block: 0, version: 8);
        Assert.NotNull(owner.State(7).Problem);
        var gone = new Sink();
        owner.Pull(7, gone);
        Assert.Single(gone.Refusals);
    }

    [Fact]
    public void A_block_with_nan_is_refused_and_a_good_copy_of_it_still_completes_the_step()
    {
        var config = Config("momentum", 0f, shards: 1);
        var layout = new ParameterLayout(config.Network);
        var optimizer = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        var slice = SlicePlan.Cut(layout.Count, 3)[2];
        var reports = new Reports();
        var owner = SliceOwner.Create(slice, config, layout, 10, 0, 0, slice.WeightsAndState(new float[layout.Count], optimizer), reports);
        var gradient = new float[layout.Count];
        gradient[slice.Offset + 5] = float.NaN;

        var (verdict, detail) = Push(owner, gradient, shard: 0, block: 0, version: 0, out _);
        Assert.Equal(PushVerdict.NotFinite, verdict);
        Assert.Contains("NaN", detail, StringComparison.Ordinal);
        Assert.Equal(0, owner.Version);

        gradient[slice.Offset + 5] = 1;
        Assert.Equal(PushVerdict.Accepted, Push(owner, gradient, shard: 0, block: 0, version: 0));
        Assert.Equal(1, owner.Version);
        Assert.Empty(reports.Diverged);
    }

    [Fact]
    public void Blocks_that_fit_no_block_of_the_slice_are_refused()
    {
        var config = Config("sgd", 0f, shards: 2);
        var layout = new ParameterLayout(config.Network);
        var slice = SlicePlan.Cut(layout.Count, 2)[1];
        var owner = SliceOwner.Create(slice, config, layout, 10, 0, 0, new float[slice.Length], new Reports());
        var block = new byte[SlicePlan.BlocksOf(slice).First().Length * sizeof(float)];

        Assert.Equal(PushVerdict.WrongSize, owner.Accept(0, 0, 0, block, WirePrecisionKind.Fp32).Verdict);
        Assert.Equal(PushVerdict.WrongSize, owner.Accept(0, 0, slice.Offset + 1, block, WirePrecisionKind.Fp32).Verdict);
        Assert.Equal(PushVerdict.WrongSize, owner.Accept(0, 0, slice.Offset, block[4..], WirePrecisionKind.Fp32).Verdict);
        Assert.Equal(PushVerdict.WrongSize, owner.Accept(0, 2, slice.Offset, block, WirePrecisionKind.Fp32).Verdict);
        Assert.Equal(PushVerdict.WrongVersion, owner.Accept(1, 0, slice.Offset, block, WirePrecisionKind.Fp32).Verdict);
        // Sent without its zeros: a bitmap of the wrong size, or marking more values than came.
        var bitmap = new byte[ZeroSkipping.BitmapBytes(block.Length / sizeof(float))];
        var (verdict, detail) = owner.Accept(0, 0, slice.Offset, [], WirePrecisionKind.Fp32, bitmap[8..]);
        Assert.Equal(PushVerdict.WrongSize, verdict);
        Assert.Contains("bitmap of", detail, StringComparison.Ordinal);
        bitmap[0] = 1;
        Assert.Equal(PushVerdict.WrongSize, owner.Accept(0, 0, slice.Offset, [], WirePrecisionKind.Fp32, bitmap).Verdict);
        Assert.Equal(PushVerdict.Accepted, owner.Accept(0, 0, slice.Offset, block, WirePrecisionKind.Fp32).Verdict);
    }

    [Fact]
    public void A_step_whose_gradient_is_not_finite_is_reported_as_diverged_and_its_version_never_comes()
    {
        var config = Config("sgd", 0f, shards: 2);
        var layout = new ParameterLayout(config.Network);
        var slice = SlicePlan.Cut(layout.Count, 3)[1];
        var reports = new Reports();
        var owner = SliceOwner.Create(slice, config, layout, 10, 4, 4, new float[slice.Length], reports);
        var waiting = new Sink();
        owner.Pull(5, waiting);
        var gradient = new float[layout.Count];
        // Each shard is finite; their sum is not.
        Array.Fill(gradient, 3e38f);

        Push(owner, gradient, shard: 0, block: 0, version: 4);
        Push(owner, gradient, shard: 1, block: 0, version: 4);

        var (slot, version, problem) = Assert.Single(reports.Diverged);
        Assert.Equal((1, 4L), (slot, version));
        Assert.Contains("iteration 4 is not finite", problem, StringComparison.Ordinal);
        Assert.Contains("lower --lr", problem, StringComparison.Ordinal);
        Assert.Equal(4, owner.Version);
        Assert.Single(waiting.Refusals);
        Assert.Empty(waiting.Blocks);
    }

    [Fact]
    public void Bf16_owners_hand_out_the_bfloat16_of_their_weights()
    {
        var config = Config("momentum", 0f, shards: 1, precision: "bf16");
        var layout = new ParameterLayout(config.Network);
        var random = new Random(2);
        float[] weights = [.. Enumerable.Range(0, layout.Count).Select(_ => random.NextSingle() - 0.5f)];
        var optimizer = Optimizers.Create(config.Optimizer, layout.Count, config.Momentum);
        var slice = SlicePlan.Cut(layout.Count, 2)[1];
        var owner = SliceOwner.Create(slice, config, layout, 10, 0, 0, slice.WeightsAndState(weights, optimizer), new Reports());
        var sink = new Sink();
        owner.Pull(0, sink);

        var expected = new byte[2 * slice.Length];
        TensorCodec.EncodeBf16(weights.AsSpan(slice.Offset, slice.Length), expected);
        Assert.Equal(expected, sink.Blocks.OrderBy(b => b.Offset).SelectMany(b => b.Bytes).ToArray());
    }

    private static PushVerdict Push(SliceOwner owner, float[] gradient, int shard, int block, long version) =>
        Push(owner, gradient, shard, block, version, out _).Verdict;

    private static (PushVerdict Verdict, string? Detail) Push(SliceOwner owner, float[] gradient, int shard, int block, long version, out int offset)
    {
        var (start, length) = SlicePlan.BlocksOf(owner.Slice).ElementAt(block);
        offset = start;
        return owner.Accept(version, shard, start, MemoryMarshal.AsBytes(gradient.AsSpan(start, length)), WirePrecisionKind.Fp32);
    }

    private static (float[] Weights, float[] State, long Steps) Gather(SliceOwner[] owners, int count, int vectors, long version)
    {
        var weights = new float[count];
        var state = new float[vectors * count];
        var steps = -1L;
        foreach (var owner in owners)
        {
            var (values, ownerSteps, problem) = owner.State(version);
            Assert.Null(problem);
            owner.Slice.Scatter(values, weights, state, count);
            Assert.True(steps < 0 || steps == ownerSteps);
            steps = ownerSteps;
        }
        return (weights, state, steps);
    }

    private sealed class Reports : ISliceReports
    {
        public List<(int Slice, long Version)> Stepped { get; } = [];

        public List<(int Slice, long Version, string Problem)> Diverged { get; } = [];

        void ISliceReports.Stepped(int slice, long version) => Stepped.Add((slice, version));

        void ISliceReports.Diverged(int slice, long version, string problem) => Diverged.Add((slice, version, problem));
    }

    /// <summary>A worker's end of the pulls: blocks sent as differences are applied to the version before, as this sink holds it.</summary>
    private sealed class Sink : IWeightBlockSink
    {
        public List<(long Version, int Offset, byte[] Bytes)> Blocks { get; } = [];

        public List<(long Version, string Reason)> Refusals { get; } = [];

        /// <summary>Blocks that came as differences, and their bytes on the wire (map and values).</summary>
        public List<(long Version, int Offset, int WireBytes)> Differences { get; } = [];

        public bool IsOpen => true;

        public void Deliver(long version, int offset, ReadOnlyMemory<byte> values, ReadOnlyMemory<byte> deltaMap = default)
        {
            if (deltaMap.IsEmpty)
            {
                Blocks.Add((version, offset, values.ToArray()));
                return;
            }
            var before = Blocks.Single(b => b.Version == version - 1 && b.Offset == offset).Bytes;
            var now = new byte[before.Length];
            Assert.Null(WeightDifference.TryApply(deltaMap.Span, values.Span, before, now));
            Blocks.Add((version, offset, now));
            Differences.Add((version, offset, deltaMap.Length + values.Length));
        }

        public void Refuse(long version, string reason) => Refusals.Add((version, reason));

        public float[] Assemble(int count, long version)
        {
            var weights = new float[count];
            foreach (var (_, offset, bytes) in Blocks.Where(b => b.Version == version))
            {
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(weights.AsSpan(offset));
            }
            Assert.Equal(SlicePlan.Blocks(count), Blocks.Count(b => b.Version == version));
            return weights;
        }
    }
}
