using System.Diagnostics;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;
using DistTrain.Training.Protocol;
using DistTrain.Training.Protocol.V1;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// The weights a worker computes with when they come from the slice owners: at most two versions,
/// the one computed with and the next (pulled ahead while the gradient is still being pushed),
/// each put together from the owners' blocks as they arrive, from any owner's thread.
/// </summary>
internal sealed class PulledWeights(int parameterCount)
{
    private readonly Lock gate = new();
    private readonly int blocks = SlicePlan.Blocks(parameterCount);
    private readonly Version[] held = [new(parameterCount, SlicePlan.Blocks(parameterCount)), new(parameterCount, SlicePlan.Blocks(parameterCount))];
    // A block sent as a difference: the version before's bytes as sent, and the block's own.
    private byte[] before = [];
    private readonly byte[] block = new byte[ParameterUpdate.BlockSize * sizeof(float)];

    /// <summary>True when every block of <paramref name="version"/> is in: a pull of the version after may come as differences from it.</summary>
    public bool HoldsWhole(long version)
    {
        lock (gate)
        {
            var place = held[version & 1];
            return version >= 0 && place.Number == version && place.Done.Task.IsCompletedSuccessfully;
        }
    }

    /// <summary>
    /// Makes room for <paramref name="version"/> (in the place of the version two before it); true
    /// when it has not been asked for yet, so the caller sends the pulls. Throws
    /// <see cref="SliceUnavailableException"/> for a version older than the one in its place.
    /// </summary>
    public bool Claim(long version)
    {
        lock (gate)
        {
            var place = held[version & 1];
            if (place.Number == version)
            {
                return false;
            }
            if (place.Number > version)
            {
                throw new SliceUnavailableException(PushProblem.WrongVersion, $"weight version {version} is gone: this worker already pulled version {place.Number}");
            }
            place.Reset(version);
            return true;
        }
    }

    /// <summary>
    /// Takes one block of <paramref name="version"/> (its difference from the version before when
    /// <paramref name="deltaMap"/> is not empty); blocks of versions not asked for, or already in, are ignored.
    /// </summary>
    public void Deliver(long version, int offset, ReadOnlySpan<byte> values, WirePrecisionKind precision, string owner, ReadOnlySpan<byte> deltaMap = default)
    {
        lock (gate)
        {
            var place = held[version & 1];
            if (place.Number != version || place.Done.Task.IsCompleted)
            {
                return;
            }
            var b = offset / ParameterUpdate.BlockSize;
            var length = Math.Min(ParameterUpdate.BlockSize, parameterCount - offset);
            if (!deltaMap.IsEmpty && offset >= 0 && offset < parameterCount && offset % ParameterUpdate.BlockSize == 0)
            {
                var previous = held[(version - 1) & 1];
                var problem = previous.Number != version - 1 || !previous.Done.Task.IsCompletedSuccessfully
                    ? $"this worker does not hold version {version - 1}"
                    : WeightDifference.TryApply(deltaMap, values, TensorCodec.EncodeInto(previous.Values.AsSpan(offset, length), precision, ref before).Span,
                        block.AsSpan(0, length * TensorCodec.BytesPerValue(precision)));
                if (problem is not null)
                {
                    place.Done.TrySetException(new SliceUnavailableException(PushProblem.WrongSize,
                        $"{owner} sent the weight block at {offset} of version {version} as a difference from version {version - 1}, which does not fit: {problem}"));
                    return;
                }
                values = block.AsSpan(0, length * TensorCodec.BytesPerValue(precision));
            }
            if (offset < 0 || offset >= parameterCount || offset % ParameterUpdate.BlockSize != 0
                || !TensorCodec.TryDecode(values, precision, place.Values.AsSpan(offset, Math.Max(0, length))))
            {
                place.Done.TrySetException(new SliceUnavailableException(PushProblem.WrongSize,
                    $"{owner} sent a weight block at {offset} of {values.Length} bytes, which fits no block of the {parameterCount} parameters"));
                return;
            }
            if (!place.Arrived[b])
            {
                place.Arrived[b] = true;
                if (place.Count++ == 0)
                {
                    place.FirstBlockAt = Stopwatch.GetTimestamp();
                }
                if (place.Count == blocks)
                {
                    place.LastBlockAt = Stopwatch.GetTimestamp();
                    place.Done.TrySetResult();
                }
            }
        }
    }

    /// <summary>An owner will not give <paramref name="version"/>: whoever waits for it hears why.</summary>
    public void Refuse(long version, SliceUnavailableException reason)
    {
        lock (gate)
        {
            var place = held[version & 1];
            if (place.Number == version)
            {
                place.Done.TrySetException(reason);
            }
        }
    }

    /// <summary>An owner is gone: every version asked for and still incomplete fails (later pulls fail as they are sent).</summary>
    public void FailIncomplete(SliceUnavailableException reason)
    {
        lock (gate)
        {
            foreach (var place in held.Where(p => p.Number >= 0))
            {
                place.Done.TrySetException(reason);
            }
        }
    }

    /// <summary>When the first and the last block of <paramref name="version"/> arrived (<see cref="Stopwatch"/> timestamps), once all did.</summary>
    public (long First, long Last)? Arrival(long version)
    {
        lock (gate)
        {
            var place = held[version & 1];
            return place.Number == version && place.Count == blocks ? (place.FirstBlockAt, place.LastBlockAt) : null;
        }
    }

    /// <summary>The weights of <paramref name="version"/> once every block is in; valid until version + 2 is claimed.</summary>
    public async Task<float[]> WaitAsync(long version, CancellationToken cancellationToken)
    {
        Version place;
        lock (gate)
        {
            place = held[version & 1];
            if (place.Number != version)
            {
                throw new SliceUnavailableException(PushProblem.WrongVersion, $"weight version {version} was not asked for");
            }
        }
        await place.Done.Task.WaitAsync(cancellationToken);
        return place.Values;
    }

    private sealed class Version(int parameterCount, int blocks)
    {
        public float[] Values { get; } = new float[parameterCount];

        public bool[] Arrived { get; } = new bool[blocks];

        public long Number { get; private set; } = -1;

        public int Count { get; set; }

        public long FirstBlockAt { get; set; }

        public long LastBlockAt { get; set; }

        public TaskCompletionSource Done { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Reset(long number)
        {
            Number = number;
            Count = 0;
            Array.Clear(Arrived);
            // An abandoned wait for the version this place held must not stay unobserved.
            Done.Task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            Done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}

/// <summary>A worker cannot have the weights of a version, or an owner its gradient: the kind for the ShardResult, the words for the coordinator's log.</summary>
public sealed class SliceUnavailableException(PushProblem problem, string message) : Exception(message)
{
    public PushProblem Problem { get; } = problem;
}
