namespace DistTrain.Training.ParameterShards;

/// <summary>Where a slice owner tells what its steps did: to the coordinator's loop, in this process or over the registry stream.</summary>
public interface ISliceReports
{
    /// <summary>The slice now holds the weights of <paramref name="version"/>.</summary>
    void Stepped(int slice, long version);

    /// <summary>The step from <paramref name="version"/> found a gradient that is not finite; the slice stays at that version.</summary>
    void Diverged(int slice, long version, string problem);
}

/// <summary>Receives the weight blocks of a pull: one worker's Exchange stream.</summary>
public interface IWeightBlockSink
{
    /// <summary>False once the stream has ended: nothing more is delivered to it.</summary>
    bool IsOpen { get; }

    /// <summary>
    /// Parameters [<paramref name="offset"/>, offset + block length) of <paramref name="version"/> in
    /// the owner's wire precision; or, when <paramref name="deltaMap"/> is not empty, their
    /// difference from version - 1 as WeightBlock.delta_map describes. The bytes are the owner's
    /// own and stay unchanged while that version is held: sending them does not copy.
    /// </summary>
    void Deliver(long version, int offset, ReadOnlyMemory<byte> values, ReadOnlyMemory<byte> deltaMap = default);

    void Refuse(long version, string reason);
}

/// <summary>What an owner says about a gradient block or a whole pushed shard.</summary>
public enum PushVerdict
{
    Accepted,
    NotFinite,
    WrongSize,
    WrongVersion,
}
