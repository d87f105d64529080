namespace DistTrain.Training.Distributed;

/// <summary>How the coordinator notices lost workers and late shards.</summary>
/// <param name="TaskDeadline">A shard held longer than this is taken back and its worker dropped.</param>
/// <param name="HeartbeatTimeout">A worker silent this long (no result, no heartbeat) is dropped.</param>
/// <param name="Speculate">Send a late shard to an idle worker too; the first answer wins.</param>
/// <param name="SpeculationFactor">Late means over this many times the 95th percentile of recent round trips.</param>
public sealed record FaultSettings(TimeSpan TaskDeadline, TimeSpan HeartbeatTimeout, bool Speculate, double SpeculationFactor = 2.0);
