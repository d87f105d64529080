using DistTrain.Training.Configuration;
using DistTrain.Training.Protocol.V1;
using DistTrain.Transport;
using Grpc.Core;

namespace DistTrain.Training.ParameterShards;

/// <summary>
/// A worker's links to every slice owner, as the coordinator listed them: the weights of a version
/// pulled from all of them at once, a shard's gradient pushed to all of them at once.
/// </summary>
public sealed class ParameterOwners : IAsyncDisposable
{
    private readonly OwnerLink[] links;
    private readonly PulledWeights weights;

    /// <param name="coordinator">The coordinator's call invoker: slice 0 (an empty address) is served there.</param>
    /// <param name="connect">Opens a channel to another owner's address.</param>
    public ParameterOwners(IReadOnlyList<SliceLocation> slices, int parameterCount, CallInvoker coordinator, Func<string, ClientChannel> connect)
    {
        var expected = 0;
        foreach (var slice in slices)
        {
            if (slice.Offset != expected || slice.Length == 0 || slice.Offset % Loop.ParameterUpdate.BlockSize != 0)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"the coordinator's parameter slices do not cover the {parameterCount} parameters in whole blocks"));
            }
            expected += (int)slice.Length;
        }
        if (expected != parameterCount)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the coordinator's parameter slices cover {expected} parameters, the model has {parameterCount}"));
        }
        weights = new PulledWeights(parameterCount);
        links = [.. slices.Select(s =>
        {
            if (s.Address.Length == 0)
            {
                return new OwnerLink(s, coordinator, null, weights);
            }
            var channel = connect(s.Address);
            return new OwnerLink(s, channel.CallInvoker, channel, weights);
        })];
    }

    /// <summary>Where the slices live, for the log.</summary>
    public string Describe() => string.Join(", ", links.Select(l => l.Owner));

    /// <summary>
    /// The weights of <paramref name="version"/>, pulled unless they are in or on their way; throws
    /// <see cref="SliceUnavailableException"/> when an owner refuses or cannot be reached.
    /// </summary>
    public async Task<float[]> WeightsAsync(long version, CancellationToken cancellationToken)
    {
        await PullAheadAsync(version, cancellationToken);
        return await weights.WaitAsync(version, cancellationToken);
    }

    /// <summary>When the first and the last block of <paramref name="version"/> arrived (<see cref="System.Diagnostics.Stopwatch"/> timestamps), once all did.</summary>
    public (long First, long Last)? Arrival(long version) => weights.Arrival(version);

    /// <summary>Asks every owner for <paramref name="version"/> without waiting for it (nothing happens when it was asked for already).</summary>
    public async Task PullAheadAsync(long version, CancellationToken cancellationToken)
    {
        if (weights.Claim(version))
        {
            await Task.WhenAll(links.Select(l => l.PullAsync(version, cancellationToken)));
        }
    }

    /// <summary>
    /// Pushes shard <paramref name="shard"/>'s gradient (the whole vector as wire bytes) to every
    /// owner and waits for their receipts: (None, "") when all hold it, else the first problem.
    /// </summary>
    public async Task<(PushProblem Problem, string Detail)> PushAsync(long version, int shard, ReadOnlyMemory<byte> gradient, WirePrecisionKind precision, CancellationToken cancellationToken)
    {
        var receipts = await Task.WhenAll(links.Select(async link =>
        {
            try
            {
                var receipt = await link.PushAsync(version, shard, gradient, precision, cancellationToken);
                return (Problem: receipt.Problem, Detail: receipt.Problem == PushProblem.None ? "" : $"{link.Owner}: {receipt.Detail}");
            }
            catch (SliceUnavailableException e)
            {
                return (Problem: e.Problem, Detail: e.Message);
            }
        }));
        foreach (var receipt in receipts)
        {
            if (receipt.Problem != PushProblem.None)
            {
                return receipt;
            }
        }
        return (PushProblem.None, "");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var link in links)
        {
            await link.DisposeAsync();
        }
    }
}
