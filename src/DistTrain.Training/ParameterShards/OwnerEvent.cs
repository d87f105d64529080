using Google.Protobuf;

namespace DistTrain.Training.ParameterShards;

/// <summary>What the parameter servers (and the coordinator's own slice) tell the coordinator's loop, in order.</summary>
public abstract record OwnerEvent
{
    public sealed record Joined(OwnerSession Server) : OwnerEvent;

    public sealed record Left(OwnerSession Server, string Reason) : OwnerEvent;

    public sealed record Loaded(int Slice, long Version) : OwnerEvent;

    public sealed record Stepped(int Slice, long Version) : OwnerEvent;

    public sealed record Diverged(int Slice, long Version, string Problem) : OwnerEvent;

    /// <summary>
    /// A slice's weights and optimizer state at <see cref="Version"/> (little-endian float32, laid out as
    /// <see cref="ParameterSlice.WeightsAndState"/>), or the <see cref="Problem"/> that kept them back.
    /// <see cref="Values"/> may be a received tensor: release it once read.
    /// </summary>
    public sealed record StateGiven(int Slice, long Version, long OptimizerSteps, string? Problem, ByteString Values) : OwnerEvent;
}
