namespace DistTrain.Rpc;

/// <summary>Per-call settings of a client call. A deadline is an absolute UTC time.</summary>
public readonly record struct CallOptions(DateTime? Deadline = null, CancellationToken CancellationToken = default, Metadata? Headers = null);
