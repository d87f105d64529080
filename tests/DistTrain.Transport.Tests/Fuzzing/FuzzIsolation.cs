namespace DistTrain.Transport.Tests.Fuzzing;

/// <summary>
/// Fuzz tests that bound allocation by the process-wide counter (their work runs on pool
/// threads) run alone, so other tests' allocations are not counted against them.
/// </summary>
[CollectionDefinition(nameof(FuzzIsolation), DisableParallelization = true)]
public sealed class FuzzIsolation;
