using DistTrain.Core;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.Protocol;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// One owner's slice of the weights and of the optimizer state, and its part of every step; no
/// transport. Workers' gradient blocks of the current version arrive in any order, from any number
/// of copies of a shard; the first copy of each (shard, block) is kept (a recomputed shard has the
/// same bits). Once every shard's copy of a block is in, the block is stepped by
/// <see cref="ParameterUpdate.TryStepBlock"/> (shards added in shard order) into the next version,
/// and handed at once to the workers that asked for that version. Thread-safe.
/// </summary>
/// <remarks>
/// Two versions are held: the current one (complete) and the one being built, in the buffer of
/// the version before. Until the first block of the next version is stepped, that older version
/// is still whole and can be pulled (a shard recomputed after its owners had moved on). The
/// optimizer state is stepped in place, so each block's state is saved just before its step:
/// the state of the current version can be given (for a checkpoint) at any moment.
/// Sizes: L = slice length, S = shards per mini-batch, V = optimizer state vectors (0, 1 or 2).
/// </remarks>
public sealed class SliceOwner
{
    private readonly Lock gate = new();
    private readonly ParameterUpdate update;
    private readonly IOptimizer optimizer;
    private readonly ISliceReports reports;
    private readonly (int Offset, int Length)[] blocks;
    private readonly float[][] weights;            // [2][L]: version v in weights[v & 1]
    private readonly ReadOnlyMemory<byte>[][] wire; // [2][blocks]: each block of weights[i] as sent
    private readonly byte[][] encoded;              // [2][2L or 4L]: weights[i] as sent, unless sent from weights[i] itself
    private readonly byte[][] deltas;               // [2][per block: bitmap, then values]: each block of weights[i] as its difference from the version before
    private readonly int[] deltaStarts;             // [blocks]: where each block's region of deltas[i] starts
    private readonly int[][] deltaLengths;          // [2][blocks]: bytes of values in each region; -1 when the whole block is smaller
    private readonly byte[] difference;             // [one block as sent]: scratch for a block's XOR
    private readonly float[][] shardGradients;      // [S][L]
    private readonly bool[][] have;                 // [S][blocks]
    private readonly int[] arrivals;                // [blocks]: shards in for the next step
    private readonly bool[] stepped;                // [blocks]: already in the next version
    private readonly float[] savedState;            // [V·L]: the current version's state of stepped blocks
    private readonly float[] gradient = new float[ParameterUpdate.BlockSize];
    private readonly byte[] expanded = new byte[ParameterUpdate.BlockSize * sizeof(float)]; // a block sent without its zeros, as sent with them
    private readonly List<(long Version, IWeightBlockSink Sink, bool HoldsPrevious)> waiting = [];
    private long version;
    private int steppedBlocks;
    private bool previousWhole;
    private string? divergence;

    private SliceOwner(ParameterSlice slice, ParameterUpdate update, IOptimizer optimizer, int shards, WirePrecisionKind precision,
        long version, ReadOnlySpan<float> sliceWeights, ISliceReports reports)
    {
        Slice = slice;
        Shards = shards;
        Precision = precision;
        this.update = update;
        this.optimizer = optimizer;
        this.reports = reports;
        this.version = version;
        blocks = [.. SlicePlan.BlocksOf(slice)];
        weights = [new float[slice.Length], new float[slice.Length]];
        // Little-endian fp32 goes out straight from the weights; anything else is encoded once per step.
        var bytes = SentFromWeights ? 0 : slice.Length * TensorCodec.BytesPerValue(precision);
        encoded = [new byte[bytes], new byte[bytes]];
        wire = [WireBlocks(0), WireBlocks(1)];
        var size = TensorCodec.BytesPerValue(precision);
        deltaStarts = [.. blocks.Select(b => (b.Offset - slice.Offset) * size + WeightDifference.MapBytes((b.Offset - slice.Offset) * size))];
        var deltaBytes = slice.Length * size + blocks.Sum(b => WeightDifference.MapBytes(b.Length * size));
        deltas = [new byte[deltaBytes], new byte[deltaBytes]];
        deltaLengths = [Enumerable.Repeat(-1, blocks.Length).ToArray(), Enumerable.Repeat(-1, blocks.Length).ToArray()];
        difference = new byte[ParameterUpdate.BlockSize * size];
        shardGradients = [.. Enumerable.Range(0, shards).Select(_ => new float[slice.Length])];
        have = [.. Enumerable.Range(0, shards).Select(_ => new bool[blocks.Length])];
        arrivals = new int[blocks.Length];
        stepped = new bool[blocks.Length];
        savedState = new float[optimizer.StateVectors * slice.Length];
        sliceWeights.CopyTo(weights[version & 1]);
        Encode(version & 1, 0, slice.Length);
    }

    public ParameterSlice Slice { get; }

    public int Shards { get; }

    public WirePrecisionKind Precision { get; }

    /// <summary>The latest version whose every block is stepped.</summary>
    public long Version
    {
        get
        {
            lock (gate)
            {
                return version;
            }
        }
    }

    /// <summary>
    /// An owner of <paramref name="slice"/> at <paramref name="version"/>: <paramref name="values"/>
    /// holds the slice's weights, then its optimizer state (the layout of
    /// <see cref="ParameterSlice.WeightsAndState"/>); <paramref name="step"/> and
    /// <paramref name="layout"/> say how a step computes. Throws <see cref="ArgumentException"/> when the values do not fit.
    /// </summary>
    public static SliceOwner Create(ParameterSlice slice, TrainingConfiguration step, ParameterLayout layout, long totalIterations,
        long version, long optimizerSteps, ReadOnlySpan<float> values, ISliceReports reports)
    {
        if (slice.Offset < 0 || slice.Length < 1 || slice.End > layout.Count || slice.Offset % ParameterUpdate.BlockSize != 0
            || (slice.End % ParameterUpdate.BlockSize != 0 && slice.End != layout.Count))
        {
            throw new ArgumentException($"{slice} is not a run of whole blocks of the network's {layout.Count} parameters");
        }
        var optimizer = Optimizers.Create(step.Optimizer, slice.Length, step.Momentum);
        if (values.Length != slice.Length * (1 + optimizer.StateVectors))
        {
            throw new ArgumentException($"{slice}: {values.Length} values, expected {slice.Length} weights and {optimizer.StateVectors} state vectors of {slice.Length}");
        }
        optimizer.Restore(values[slice.Length..], optimizerSteps);
        var update = new ParameterUpdate(step, layout, optimizer, totalIterations);
        return new SliceOwner(slice, update, optimizer, step.Shards, step.WirePrecision, version, values[..slice.Length], reports);
    }

    /// <summary>
    /// Hands the blocks of <paramref name="pulled"/> to <paramref name="sink"/>: at once when held,
    /// block by block as they are stepped when it is the version being built; refuses any other.
    /// When the puller <paramref name="holdsPrevious"/> version, a block goes as its difference
    /// from it where that is smaller.
    /// </summary>
    public void Pull(long pulled, IWeightBlockSink sink, bool holdsPrevious = false)
    {
        lock (gate)
        {
            if (divergence is not null)
            {
                sink.Refuse(pulled, divergence);
            }
            else if (pulled == version || (pulled == version - 1 && previousWhole && steppedBlocks == 0))
            {
                for (var b = 0; b < blocks.Length; b++)
                {
                    Deliver(sink, pulled, b, holdsPrevious);
                }
            }
            else if (pulled == version + 1)
            {
                for (var b = 0; b < blocks.Length; b++)
                {
                    if (stepped[b])
                    {
                        Deliver(sink, pulled, b, holdsPrevious);
                    }
                }
                waiting.RemoveAll(w => !w.Sink.IsOpen);
                waiting.Add((pulled, sink, holdsPrevious));
            }
            else
            {
                sink.Refuse(pulled, pulled < version
                    ? $"{Slice} holds weight versions {(previousWhole && steppedBlocks == 0 ? version - 1 : version)} to {version + 1}, not {pulled}"
                    : $"{Slice} is at weight version {version}; version {pulled} cannot be asked for yet");
            }
        }
    }

    /// <summary>
    /// Takes one block of shard <paramref name="shard"/>'s gradient sum for the step from
    /// <paramref name="pushed"/> (little-endian float32 or bfloat16 <paramref name="values"/> of the
    /// block at <paramref name="offset"/> in the vector; only those not zero when
    /// <paramref name="sentMap"/> is not empty, as <see cref="ZeroSkipping"/> packs them), and steps
    /// that block once every shard's copy is in. A copy of a block already held, or of a step
    /// already taken, changes nothing.
    /// </summary>
    public (PushVerdict Verdict, string? Detail) Accept(long pushed, int shard, int offset, ReadOnlySpan<byte> values, WirePrecisionKind precision,
        ReadOnlySpan<byte> sentMap = default)
    {
        var b = BlockAt(offset);
        var size = b < 0 ? 0 : blocks[b].Length * TensorCodec.BytesPerValue(precision);
        if ((uint)shard >= (uint)Shards || b < 0 || (sentMap.IsEmpty && values.Length != size))
        {
            return (PushVerdict.WrongSize, b < 0
                ? $"no block of {Slice} starts at parameter {offset}"
                : (uint)shard >= (uint)Shards ? $"shard {shard} of a mini-batch of {Shards} shards"
                : $"block at {offset}: {values.Length} bytes, expected {size}");
        }
        lock (gate)
        {
            if (pushed < version || have[shard][b] || divergence is not null)
            {
                return (PushVerdict.Accepted, null);
            }
            if (pushed > version)
            {
                return (PushVerdict.WrongVersion, $"a gradient for weight version {pushed}, but {Slice} is at version {version}");
            }
            var (start, length) = blocks[b];
            var destination = shardGradients[shard].AsSpan(start - Slice.Offset, length);
            if (!sentMap.IsEmpty)
            {
                if (ZeroSkipping.TryExpand(sentMap, values, TensorCodec.BytesPerValue(precision), expanded.AsSpan(0, size)) is { } problem)
                {
                    return (PushVerdict.WrongSize, $"block at {offset}: {problem}");
                }
                values = expanded.AsSpan(0, size);
            }
            TensorCodec.TryDecode(values, precision, destination);
            if (!GradientMath.AllFinite(destination))
            {
                return (PushVerdict.NotFinite, $"block at {offset} of shard {shard} holds NaN or infinity");
            }
            have[shard][b] = true;
            if (++arrivals[b] == Shards)
            {
                StepBlock(b);
            }
            return (PushVerdict.Accepted, null);
        }
    }

    /// <summary>Whether this owner holds every block of shard <paramref name="shard"/> for the step from <paramref name="pushed"/> (or took that step already).</summary>
    public (PushVerdict Verdict, string? Detail) Receipt(long pushed, int shard)
    {
        if ((uint)shard >= (uint)Shards)
        {
            return (PushVerdict.WrongSize, $"shard {shard} of a mini-batch of {Shards} shards");
        }
        lock (gate)
        {
            if (pushed < version || divergence is not null)
            {
                return (PushVerdict.Accepted, null);
            }
            if (pushed > version)
            {
                return (PushVerdict.WrongVersion, $"a gradient for weight version {pushed}, but {Slice} is at version {version}");
            }
            var held = have[shard].Count(h => h);
            return held == blocks.Length
                ? (PushVerdict.Accepted, null)
                : (PushVerdict.WrongSize, $"{held} of the {blocks.Length} blocks of shard {shard} arrived at {Slice}");
        }
    }

    /// <summary>
    /// The slice's weights and optimizer state at <paramref name="wanted"/> (laid out as
    /// <see cref="ParameterSlice.WeightsAndState"/>) and its optimizer step count, or why not.
    /// </summary>
    public (float[]? Values, long OptimizerSteps, string? Problem) State(long wanted)
    {
        lock (gate)
        {
            var length = Slice.Length;
            var values = new float[length * (1 + optimizer.StateVectors)];
            if (wanted == version)
            {
                weights[version & 1].CopyTo(values, 0);
                for (var v = 0; v < optimizer.StateVectors; v++)
                {
                    var live = optimizer.StateVector(v);
                    foreach (var (b, (start, count)) in blocks.Index())
                    {
                        var local = start - Slice.Offset;
                        (stepped[b] ? savedState.AsSpan(v * length + local, count) : live.Slice(local, count))
                            .CopyTo(values.AsSpan((1 + v) * length + local, count));
                    }
                }
                return (values, optimizer.Steps, null);
            }
            if (wanted == version - 1 && previousWhole && steppedBlocks == 0)
            {
                weights[wanted & 1].CopyTo(values, 0);
                savedState.CopyTo(values, length);
                return (values, optimizer.Steps - 1, null);
            }
            return (null, 0, $"{Slice} is at weight version {version} and cannot give the state of version {wanted}");
        }
    }

    /// <summary>Steps block <paramref name="b"/> into the next version; completes the version after its last block.</summary>
    private void StepBlock(int b)
    {
        var (start, length) = blocks[b];
        var local = start - Slice.Offset;
        for (var v = 0; v < optimizer.StateVectors; v++)
        {
            optimizer.StateVector(v).Slice(local, length).CopyTo(savedState.AsSpan(v * Slice.Length + local, length));
        }
        var next = (version + 1) & 1;
        if (!update.TryStepBlock(new SliceGradients(shardGradients, Slice.Offset), weights[version & 1].AsSpan(local, length),
            gradient.AsSpan(0, length), weights[next].AsSpan(local, length), start, Slice.Offset, version))
        {
            divergence = $"{update.DivergedAt(version)} (found in {Slice})";
            foreach (var (pulled, sink, _) in waiting)
            {
                sink.Refuse(pulled, divergence);
            }
            waiting.Clear();
            reports.Diverged(Slice.Index, version, divergence);
            return;
        }
        Encode(next, local, length);
        EncodeDifference(next, b);
        stepped[b] = true;
        steppedBlocks++;
        previousWhole = false;
        foreach (var (pulled, sink, holdsPrevious) in waiting)
        {
            if (sink.IsOpen)
            {
                Deliver(sink, pulled, b, holdsPrevious);
            }
        }
        if (steppedBlocks < blocks.Length)
        {
            return;
        }
        update.EndStep();
        version++;
        steppedBlocks = 0;
        previousWhole = true;
        Array.Clear(stepped);
        Array.Clear(arrivals);
        foreach (var row in have)
        {
            Array.Clear(row);
        }
        waiting.RemoveAll(w => w.Version <= version || !w.Sink.IsOpen);
        reports.Stepped(Slice.Index, version);
    }

    private void Deliver(IWeightBlockSink sink, long pulled, int b, bool holdsPrevious)
    {
        var buffer = pulled & 1;
        var length = deltaLengths[buffer][b];
        if (!holdsPrevious || length < 0)
        {
            sink.Deliver(pulled, blocks[b].Offset, wire[buffer][b]);
            return;
        }
        var map = WeightDifference.MapBytes(wire[buffer][b].Length);
        sink.Deliver(pulled, blocks[b].Offset, deltas[buffer].AsMemory(deltaStarts[b] + map, length), deltas[buffer].AsMemory(deltaStarts[b], map));
    }

    /// <summary>Block <paramref name="b"/> of the version in <paramref name="buffer"/> as its difference from the version in the other buffer (the one before it).</summary>
    private void EncodeDifference(long buffer, int b)
    {
        var now = wire[buffer][b].Span;
        var map = WeightDifference.MapBytes(now.Length);
        var region = deltas[buffer].AsSpan(deltaStarts[b], map + now.Length);
        deltaLengths[buffer][b] = WeightDifference.Encode(now, wire[buffer ^ 1][b].Span, difference, region[..map], region[map..]);
    }

    /// <summary>The block starting at parameter <paramref name="offset"/>, or -1.</summary>
    private int BlockAt(int offset)
    {
        if (!Slice.Contains(offset) || (offset - Slice.Offset) % ParameterUpdate.BlockSize != 0)
        {
            return -1;
        }
        return (offset - Slice.Offset) / ParameterUpdate.BlockSize;
    }

    private bool SentFromWeights => Precision == WirePrecisionKind.Fp32 && BitConverter.IsLittleEndian;

    private ReadOnlyMemory<byte>[] WireBlocks(int buffer)
    {
        var size = TensorCodec.BytesPerValue(Precision);
        return [.. blocks.Select(block => SentFromWeights
            ? new FloatArrayBytes(weights[buffer], block.Offset - Slice.Offset, block.Length).Memory
            : encoded[buffer].AsMemory(size * (block.Offset - Slice.Offset), size * block.Length))];
    }

    private void Encode(long buffer, int local, int length)
    {
        if (SentFromWeights)
        {
            return;
        }
        var size = TensorCodec.BytesPerValue(Precision);
        var values = weights[buffer].AsSpan(local, length);
        var destination = encoded[buffer].AsSpan(size * local, size * length);
        if (Precision == WirePrecisionKind.Bf16)
        {
            TensorCodec.EncodeBf16(values, destination);
        }
        else
        {
            WeightsHash.LittleEndianBytes(values).CopyTo(destination);
        }
    }

    private readonly struct SliceGradients(float[][] shards, int sliceOffset) : IShardGradients
    {
        public int Count => shards.Length;

        public ReadOnlySpan<float> Block(int shard, int start, int length) => shards[shard].AsSpan(start - sliceOffset, length);
    }
}
